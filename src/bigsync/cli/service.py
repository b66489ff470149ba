"""What every command shares: the use-cases over the configured database and vault, one-line
errors on stderr, and the exit codes.

Exit codes (stable): 0 done; 1 failed (an error, a failed test or sync); 2 the command line is
wrong (Typer's usage errors); 130 interrupted by Ctrl-C.

Everything heavy (the settings, sqlalchemy, the connection service) is imported inside
`open_service`, so that `bigsync --help` and parsing a command stay instant."""

from __future__ import annotations

import getpass
import re
import shlex
import shutil
import sys
import textwrap
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from bigsync.config import Settings
    from bigsync.connections.service import ConnectionService

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

JSON_HELP = "Print JSON (for scripts) instead of text; times in full ISO 8601."


def fail(message: str, *, code: int = EXIT_FAILED) -> NoReturn:
    """Print `error: message` as one line on stderr and exit with `code`."""
    typer.echo(f"error: {runnable(' '.join(message.split()))}", err=True)
    raise typer.Exit(code)


@contextmanager
def open_service(
    actor: str | None = None, *, settings: Settings | None = None
) -> Iterator[ConnectionService]:
    """The use-cases over the configured database and vault (or those of `settings`), acting
    as `actor` (default: the CLI user); bigsync errors become one line on stderr and exit 1."""
    from bigsync.config import get_settings  # noqa: PLC0415 -- lazy: see the module doc
    from bigsync.connections.service import ConnectionService  # noqa: PLC0415
    from bigsync.errors import BigsyncError, ConnectionNotFoundError  # noqa: PLC0415
    from bigsync.store.db import create_engine_for, migrate  # noqa: PLC0415
    from bigsync.vault import Vault  # noqa: PLC0415

    settings = settings or get_settings()
    try:
        engine = create_engine_for(settings.resolved_database_url)
        try:
            migrate(engine)
            vault = Vault.from_settings(settings)
            yield ConnectionService(
                engine, vault, actor=actor or f"cli:{_user()}", default_api_url=settings.api_url
            )
        finally:
            engine.dispose()
    except ConnectionNotFoundError as error:
        fail(f"{error} (see `bigsync connections`)")
    except BigsyncError as error:
        fail(str(error))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a use-case coroutine to its end (asyncio is imported here: it costs ~0.1 s)."""
    import asyncio  # noqa: PLC0415 -- lazy: see the module doc

    return asyncio.run(coroutine)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


_COMMAND_IN_TEXT = re.compile(
    r"(?<![\w/.-])bigsync (?=(connect|test|sync|status|connections|disconnect|keys|demo|sandbox"
    r"|serve|products|manage|unmanage|stock|locations|ship|order-status|shipping|outbox|push)\b)"
)


def runnable(text: str) -> str:
    """`text` (a use-case's hint, such as "run `bigsync test shop`") with every bigsync
    command in it spelled the way it runs from here (`bigsync_command`)."""
    command = bigsync_command()
    if command == "bigsync":
        return text
    return _COMMAND_IN_TEXT.sub(lambda _match: f"{command} ", text)


def bigsync_command() -> str:
    """How to run `bigsync` from where the user is: `bigsync` when that name on PATH is this
    program, else the path of the running script (`.venv/bin/bigsync` in a fresh clone)."""
    script = _running_script()
    on_path = shutil.which("bigsync")
    if script is None or (on_path and Path(on_path).resolve() == script.resolve()):
        return "bigsync"
    try:
        shown = str(script.relative_to(Path.cwd()))
    except ValueError:
        shown = str(script)
    return shlex.quote(shown if "/" in shown else f"./{shown}")


def _running_script() -> Path | None:
    argv0 = Path(sys.argv[0]).absolute()
    if argv0.name == "bigsync" and argv0.is_file():
        return argv0
    beside = Path(sys.executable).absolute().with_name("bigsync")  # e.g. under a test runner
    return beside if beside.is_file() else None


_QUOTED = re.compile(r"`[^`]*`")
_KEEP = "\x00"  # stands for a space inside a quoted command while the text is folded


def folded(text: str, *, width: int, start: int, indent: int) -> str:
    """`text` folded at `width` columns, its first line starting at column `start` and the
    later ones indented by `indent`; a command in backticks is never split (a pasted command
    must run as printed): one longer than the line gets a line of its own."""
    joined = _QUOTED.sub(lambda match: match.group(0).replace(" ", _KEEP), text)
    lines = textwrap.wrap(
        joined,
        width=max(width, start + 20, indent + 20),
        initial_indent=" " * start,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines)[start:].replace(_KEEP, " ")
