"""The shipping-method rules: matching and "most specific wins", against a table of cases
with overlaps and ties, and properties that hold for any pattern and name."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigsync.fulfillment.shipping_rules import (
    Rule,
    best_rule,
    check_pattern,
    matches,
    normalise,
    specificity,
)

MATCHES = [
    ("DHL*", "DHL-1", True),
    ("DHL*", "DHL-test", True),
    ("DHL*", "DHL", True),  # `*` matches none too
    ("DHL*", "dhl express", True),  # case-insensitive
    ("DHL*", "A DHL", False),  # whole-string
    ("D*L", "DtestL", True),
    ("D*L", "DYL", True),
    ("D*L", "DL", True),
    ("D*L", "DHL Express", False),
    ("*Express", "DHL Express", True),
    ("*express*", "UPS Express Saver", True),
    ("Flat Rate", "flat rate", True),
    ("Flat Rate", "Flat Rate 2", False),
    ("Flat Rate ", "Flat Rate", False),  # spaces count (a saved pattern is stripped)
    ("*", "", True),
    ("*", "anything at all", True),
    ("**", "x", True),
    ("a.c", "abc", False),  # regex metacharacters are literal
    ("a.c", "a.c", True),
    ("(UPS)+", "(UPS)+", True),
    ("(UPS)+", "UPSUPS", False),
    ("[DHL]*", "[DHL] 2", True),
    ("[DHL]*", "D", False),
    ("price $5?", "Price $5?", True),
    ("a\\b*", "a\\b\\c", True),
    ("Straße*", "STRASSE 1", True),  # casefold, not lower()
]


@pytest.mark.parametrize(("pattern", "name", "expected"), MATCHES)
def test_a_pattern_matches_whole_names_case_blind(pattern: str, name: str, expected: bool) -> None:
    assert matches(pattern, name) is expected


# (rules, method name, winning pattern or None)
WINNERS = [
    (["DHL*", "DHL Express"], "DHL Express", "DHL Express"),  # exact beats wildcard
    (["*", "DHL Express"], "dhl express", "DHL Express"),
    (["DHL*", "*"], "DHL-1", "DHL*"),  # more literal characters
    (["DHL*", "DHL E*"], "DHL Express", "DHL E*"),
    (["D*L", "DHL*"], "DHL", "DHL*"),  # 3 literals beat 2
    (["D*L*", "DHL*"], "DHL-L", "DHL*"),
    (["*DHL*", "DHL*"], "DHL", "DHL*"),  # same literals: fewer `*`
    (["D*H*L", "DH*L"], "DHL", "DH*L"),  # same literals (3): fewer `*`
    (["*DHL", "DHL*"], "DHL", "DHL*"),  # same literals, same `*`: longer literal prefix
    (["D*HL", "DH*L"], "DHL", "DH*L"),
    (["*HL", "D*L"], "DHL", "D*L"),
    (["*a*b", "*b*a"], "ab", "*a*b"),  # only one matches
    (["*ab*", "*ba*"], "abba", "*ab*"),  # full tie: code-point order of the pattern
    (["*BA*", "*ab*"], "abba", "*ab*"),  # ... of the normalised pattern
    (["UPS*", "Fedex*"], "DHL", None),
    ([], "DHL", None),
    (["**DHL", "*DHL"], "xDHL", "**DHL"),  # the same pattern once normalised; first is kept
]


@pytest.mark.parametrize(("patterns", "name", "winner"), WINNERS)
def test_the_most_specific_matching_rule_wins(
    patterns: list[str], name: str, winner: str | None
) -> None:
    rules = [Rule(pattern, f"svc{index}") for index, pattern in enumerate(patterns)]
    chosen = best_rule(rules, name)
    assert (chosen.pattern if chosen else None) == winner
    if len({normalise(p) for p in patterns}) < len(patterns):
        return  # a store keeps one rule per normalised pattern
    for _ in range(5):  # whatever the order of the rules
        random.shuffle(rules)
        again = best_rule(rules, name)
        assert (again.pattern if again else None) == winner


def test_specificity_orders_exact_then_literals_then_stars_then_prefix() -> None:
    ordered = ["DHL", "DHL E*", "DHL*", "DH*L", "*DHL", "D*H*L", "*"]
    assert sorted(ordered, key=specificity) == ordered


def test_patterns_are_checked() -> None:
    assert check_pattern("  DHL* ") == "DHL*"
    with pytest.raises(ValueError, match="needs a pattern"):
        check_pattern("   ")
    with pytest.raises(ValueError, match="at most 255"):
        check_pattern("x" * 256)
    for control in ("DHL\x00*", "a\x1fb", "DEL\x7f"):
        with pytest.raises(ValueError, match="cannot hold control characters"):
            check_pattern(control)


texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)


@given(texts)
def test_an_exact_pattern_matches_its_own_text(text: str) -> None:
    if "*" not in text:
        assert matches(text, text)
        assert matches(text, text.upper())


@given(texts, st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5)), max_size=4))
def test_replacing_parts_of_a_name_by_a_star_still_matches_it(text: str, cuts: list) -> None:
    name = text.replace("*", "")
    pattern = name
    for offset, length in cuts:
        start = min(offset, len(pattern))
        pattern = pattern[:start] + "*" + pattern[start + length :]
    assert matches(pattern, name)


@given(st.lists(texts.filter(lambda t: t.strip() != ""), min_size=1, max_size=6), texts)
def test_the_winner_matches_and_does_not_depend_on_rule_order(patterns: list, name: str) -> None:
    unique = list({normalise(p): p for p in patterns}.values())
    rules = [Rule(p, "s") for p in unique]
    chosen = best_rule(rules, name)
    if chosen is None:
        assert not any(matches(p, name) for p in unique)
        return
    assert matches(chosen.pattern, name)
    assert best_rule(list(reversed(rules)), name) == chosen
    for rule in rules:
        if matches(rule.pattern, name):
            assert specificity(chosen.pattern) <= specificity(rule.pattern)


# (saved rules, new pattern, method name, the pattern that still wins or None)
CONTESTS = [
    ([], "DHL*", "DHL-1", None),
    (["DHL Express"], "DHL*", "DHL Express", "DHL Express"),  # an exact rule stays
    (["DHL*"], "DHL-1", "DHL-1", None),  # the exact newcomer wins
    (["DHL*"], "dhl*", "DHL-1", None),  # the same pattern replaces the saved rule
    (["*"], "D*", "DHL-1", None),
    (["DH*"], "D*", "DHL-1", "DH*"),  # more literal characters
    (["*HL-1"], "DHL*", "DHL-1", "*HL-1"),  # 4 literal characters beat 3
]


@pytest.mark.parametrize(("saved", "pattern", "name", "winner"), CONTESTS)
def test_contest_names_the_rule_that_would_still_win(
    saved: list[str], pattern: str, name: str, winner: str | None
) -> None:
    from bigsync.fulfillment.shipping_rules import contest

    rules = [Rule(p, f"s{i}") for i, p in enumerate(saved)]
    found = contest(pattern, rules, name)
    assert (found.pattern if found else None) == winner
