"""Shipping-method rules: which pattern a store shipping method matches (pure, no I/O).

A pattern is compared with a method name as a whole, case-insensitively (both are
casefolded; spaces count like any character, and a pattern is stripped when it is saved).
`*` matches any run of characters, none included, anywhere in the pattern; every other
character, regex metacharacters too, is literal. A run of `*` is one `*` (so "longer
pattern" adds nothing to rules 2 and 3 below once patterns are normalised).

When several rules match, the winner is decided in this order:

1. an exact rule (no `*`) beats every wildcard rule;
2. more literal (non-`*`) characters;
3. fewer `*`;
4. a longer literal prefix (the text before the first `*`): `DHL*` beats `*DHL` ... `D*HL`;
5. the smaller normalised pattern in code-point order (patterns are unique by their
   normalised form, so this always decides).

The same rules and the same name give the same winner, whatever the order of the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

WILDCARD = "*"
_STARS = re.compile(r"\*+")


def normalise(text: str) -> str:
    """What a pattern or a method name is compared by: casefolded, runs of `*` collapsed."""
    return _STARS.sub(WILDCARD, text.casefold())


def is_exact(pattern: str) -> bool:
    """Whether `pattern` has no wildcard."""
    return WILDCARD not in pattern


@lru_cache(maxsize=4096)
def _compiled(key: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in key.split(WILDCARD)), re.DOTALL)


def matches(pattern: str, name: str) -> bool:
    """Whether `pattern` matches the whole of `name` (see the module doc)."""
    return _compiled(normalise(pattern)).fullmatch(normalise(name)) is not None


def specificity(pattern: str) -> tuple[int, int, int, int, str]:
    """A sort key: the smaller it is, the more specific the pattern (the module doc's order)."""
    key = normalise(pattern)
    literal = len(key) - key.count(WILDCARD)
    prefix = len(key.split(WILDCARD, 1)[0])
    return (0 if is_exact(key) else 1, -literal, key.count(WILDCARD), -prefix, key)


@dataclass(frozen=True)
class Rule:
    """A pattern and the service it links to."""

    pattern: str
    service: str


def best_rule(rules: Iterable[Rule], name: str) -> Rule | None:
    """The most specific rule whose pattern matches `name`, or None."""
    candidates = [rule for rule in rules if matches(rule.pattern, name)]
    if not candidates:
        return None
    return min(candidates, key=lambda rule: specificity(rule.pattern))


def check_pattern(pattern: str) -> str:
    """`pattern` stripped, or ValueError when it cannot be a rule (empty, too long, control
    characters)."""
    cleaned = pattern.strip()
    if not cleaned:
        raise ValueError("a shipping rule needs a pattern, e.g. 'DHL*'")
    if len(cleaned) > 255:
        raise ValueError("a shipping rule's pattern is at most 255 characters")
    if any(ch < " " or ch == "\x7f" for ch in cleaned):
        raise ValueError("a shipping rule's pattern cannot hold control characters")
    return cleaned


def contest(pattern: str, rules: Iterable[Rule], name: str) -> Rule | None:
    """Which rule would choose `name` were a rule of `pattern` added (replacing a rule of the
    same normalised pattern): None when the new rule would, else the rule that beats it.
    The caller checks first that `pattern` matches `name`."""
    key = normalise(pattern)
    newcomer = Rule(pattern, "")
    others = [rule for rule in rules if normalise(rule.pattern) != key]
    winner = best_rule([*others, newcomer], name)
    return None if winner is newcomer else winner
