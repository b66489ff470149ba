"""`bigsync sandbox` starts, prints the stores and a curl line, and that curl line works."""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import bigsync.cli
from bigsync.cli.main import app

CURL = re.compile(r"^curl -H 'X-Auth-Token: ([a-z0-9]{31})' '(http://127\.0\.0\.1:\d+/\S+)'$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _read_until_curl(process: subprocess.Popen[str]) -> tuple[str, re.Match[str]]:
    assert process.stdout is not None
    printed: list[str] = []
    while True:
        line = process.stdout.readline()
        assert line, "the command exited early:\n" + "".join(printed)
        printed.append(line)
        match = CURL.match(line.strip())
        if match:
            return "".join(printed), match


def _get_when_listening(url: str, token: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, headers={"X-Auth-Token": token})
        except httpx.ConnectError:
            assert time.monotonic() < deadline, "the sandbox never started listening"
            time.sleep(0.1)


@pytest.mark.timeout(60)
def test_sandbox_command_prints_a_working_curl_line() -> None:
    bigsync = Path(sys.executable).with_name("bigsync")
    port = _free_port()
    command = [str(bigsync), "sandbox", f"--port={port}", "--seed=3", "--webhook-timescale=0.001"]
    sizes = ["--products=5", "--orders=5", "--customers=5"]
    with subprocess.Popen(  # noqa: S603 -- our own CLI
        [*command, *sizes], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            printed, curl = _read_until_curl(process)
            token, url = curl.groups()
            response = _get_when_listening(url, token)
            stores = httpx.get(f"http://127.0.0.1:{port}/_sandbox/stores").json()
            webhooks = httpx.get(f"http://127.0.0.1:{port}/_sandbox/webhooks").json()
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert "catalog-only" in printed
    assert token in printed.split("Try:")[0]  # the token is also in the accounts table
    assert response.status_code == 200
    assert response.json()["meta"]["pagination"]["count"] == 1
    assert stores["stores"][0]["hash"] in url
    assert webhooks["settings"]["timescale"] == 0.001


@pytest.mark.timeout(60)
def test_port_zero_prints_the_port_bound_in_80_columns() -> None:
    bigsync = Path(sys.executable).with_name("bigsync")
    command = [str(bigsync), "sandbox", "--port=0", "--stores=2", "--products=3", "--orders=3"]
    env = {**os.environ, "COLUMNS": "80"}
    with subprocess.Popen(  # noqa: S603 -- our own CLI
        [*command, "--customers=3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    ) as process:
        try:
            printed, curl = _read_until_curl(process)
            token, url = curl.groups()
            response = _get_when_listening(url, token)
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert response.status_code == 200
    assert ":0/" not in printed
    port = int(url.split(":")[2].split("/")[0])
    assert port > 0
    assert f"bigsync sandbox at http://127.0.0.1:{port}\n" in printed
    assert printed.count(f"API path http://127.0.0.1:{port}/stores/") == 2
    lines = printed.splitlines()
    assert [line for line in lines[:-1] if len(line) > 80] == []  # all but the curl line


def test_a_taken_port_is_one_line_on_stderr_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(  # noqa: S603 -- our own CLI
            [str(Path(sys.executable).with_name("bigsync")), "sandbox", f"--port={port}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: the sandbox could not listen on http://127.0.0.1:{port}: ")
    assert "--port" in line


def test_a_timescale_must_be_positive() -> None:
    result = CliRunner().invoke(app, ["sandbox", "--webhook-timescale=0"])
    assert result.exit_code == 2
    assert "--webhook-timescale" in result.output


@pytest.mark.parametrize(
    "module", sorted(Path(bigsync.cli.__file__).parent.glob("[!_]*.py")), ids=lambda p: p.name
)
def test_the_cli_modules_load_the_sandbox_only_in_its_command(module: Path) -> None:
    """Every `bigsync` command imports the cli/ modules; the sandbox is imported by the
    commands that serve it alone."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    top_level = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
    ]
    assert top_level
    assert [m for m in top_level if m.startswith("bigsync.sandbox")] == []


def test_importing_the_cli_does_not_load_the_sandbox() -> None:
    """The whole import of `bigsync.cli` (every command's module) leaves the sandbox out."""
    code = (
        "import sys, bigsync.cli.main\n"
        "print(sorted(m for m in sys.modules if m.startswith(('bigsync.sandbox', 'uvicorn'))))"
    )
    loaded = subprocess.run(  # noqa: S603 -- our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert loaded.stdout.strip() == "[]"
