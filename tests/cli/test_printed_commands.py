"""Commands bigsync prints, and the README's, work as printed on a fresh clone, where
`bigsync` is only in `.venv/bin`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bigsync.cli.service import bigsync_command

ROOT = Path(__file__).parents[2]


def test_the_readme_runs_bigsync_from_the_virtual_environment() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    lines = [line for block in blocks for line in block.splitlines() if "bigsync " in line]
    assert lines
    for line in lines:
        command = line.split("#")[0]
        assert re.search(r"(^|\s)bigsync\s", command) is None, line  # never bare `bigsync`
        assert ".venv/bin/bigsync " in command or line.startswith("make "), line
    assert "BIN := $(VENV)/bin" in (ROOT / "Makefile").read_text()


def test_the_printed_command_is_the_running_bigsync_when_it_is_not_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # `bigsync` is on no PATH entry
    monkeypatch.chdir(Path(sys.executable).parents[2])  # beside the virtual environment
    command = bigsync_command()
    assert command.endswith("bin/bigsync")
    assert not command.startswith("/")
    assert Path(command).samefile(Path(sys.executable).with_name("bigsync"))


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.timeout(120, method="thread")
def test_the_demos_next_step_works_when_pasted(tmp_path: Path) -> None:
    env = {**os.environ, "BIGSYNC_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "80"}
    env["PATH"] = os.pathsep.join(  # as on a fresh clone: the virtual environment not active
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != Path(sys.executable).parent
    )
    env.pop("BIGSYNC_SECRET_KEY", None)
    env.pop("BIGSYNC_DATABASE_URL", None)
    bigsync = Path(sys.executable).with_name("bigsync")
    command = [str(bigsync), "demo", "--products=6", "--orders=6", "--customers=4"]
    with subprocess.Popen(  # noqa: S603 -- our own CLI
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
        preexec_fn=_default_sigint,  # noqa: PLW1509 -- only resets one signal
    ) as process:
        try:
            assert process.stdout is not None
            printed: list[str] = []
            while not printed or " sync demo && " not in printed[-1]:
                line = process.stdout.readline()
                assert line, "the demo exited early:\n" + "".join(printed)
                printed.append(line)
            next_step = printed[-1].strip()
            pasted = subprocess.run(  # noqa: S602 -- the line our own CLI printed
                next_step, shell=True, capture_output=True, text=True, env=env,
                cwd=tmp_path, timeout=60, check=False,
            )  # fmt: skip
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    assert f"BIGSYNC_DATA_DIR={tmp_path / 'data' / 'demo'} " in next_step
    assert pasted.returncode == 0, pasted.stdout + pasted.stderr
    assert "Sync #2" in pasted.stdout
    assert "Mirrored rows" in pasted.stdout
    assert not (tmp_path / "data" / "bigsync.db").exists()  # the user's own data: untouched
