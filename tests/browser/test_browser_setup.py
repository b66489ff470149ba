"""Without Chromium the browser tests skip with the reason, except under CI=true, where
they fail; and `make browser`, which installs it, has nothing to do when it is there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, _no_browser_reason, require_browser

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_browser_skips_outside_ci_and_fails_in_ci(tmp_path: Path) -> None:
    reason = _no_browser_reason(tmp_path / "chromium")
    assert (
        reason
        == f"no Chromium at {tmp_path / 'chromium'} (`make browser` installs Debian's chromium)"
    )
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        require_browser(reason, ci=False)
    with pytest.raises(pytest.fail.Exception, match="browser tests must run in CI"):
        require_browser(reason, ci=True)
    require_browser(None, ci=True)  # a browser: nothing to say


@pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("make") is None, reason="no chromium")
def test_make_browser_is_quick_when_chromium_is_installed() -> None:
    make = shutil.which("make")
    assert make is not None
    done = subprocess.run(  # noqa: S603 -- our own Makefile
        [make, "-s", "browser"], cwd=ROOT, capture_output=True, text=True, timeout=30,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # no apt-get ran


def test_make_browser_says_what_to_do_where_apt_is_unusable(tmp_path: Path) -> None:
    """A PATH with neither apt-get nor sudo: a hint; make succeeds outside CI, fails in CI
    (make exits 2 when a recipe fails)."""
    if shutil.which("make") is None:
        pytest.skip("no make")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "id", "make", "env"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    missing = str(tmp_path / "no-chromium")
    for ci, code in (("", 0), ("true", 2)):
        done = subprocess.run(  # noqa: S603 -- our own Makefile
            [str(bin_dir / "make"), "-s", "browser", f"CHROMIUM={missing}"], cwd=ROOT,
            env={"PATH": str(bin_dir), "CI": ci}, capture_output=True, text=True, timeout=30,
            check=False,
        )  # fmt: skip
        assert done.returncode == code, done.stdout + done.stderr
        assert "apt-get cannot be used here" in done.stdout
