"""The review command line: see what a grants change grants, with no credentials, network or Pulumi CLI.

`plan` runs the real program under Pulumi's mock runtime and prints what `pulumi preview` would
register, with every policy in full; `plan --diff BASE` prints what changing the stack (its grants
and, from a git revision, its stack file) from BASE would do. `schema` prints the grants file's JSON
Schema for editors. Exit codes: 0 success, 1 bad input (the program's own clean problem list), 2 usage
errors, or output that cannot be written (a full disk), 130 stopped with Ctrl-C. No Python traceback reaches
the user.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from .core.grants_file import grants_json_schema
from .core.problems import InputProblems
from .review.diff import diff_plans
from .review.render import diff_as_json, plan_as_json, render_diff_text, render_plan_text
from .review.runner import (
    PlanRefused,
    default_grants_file,
    known_stacks,
    plan_at_revision,
    plan_stack,
    shown_path,
    unknown_revision,
)
from .review.snapshot import PlanSnapshot

PROJECT_ENV = "CROSS_ACCOUNT_S3_PROJECT"  # another project directory (Pulumi.<stack>.yaml, grants/); tests use it
CWD_ENV = "CROSS_ACCOUNT_S3_CWD"  # where the user ran ./run (which itself works from the project directory)


def project_root() -> Path:
    """The project whose stacks and grants plan reads: this checkout, unless CROSS_ACCOUNT_S3_PROJECT names another."""
    return Path(os.environ.get(PROJECT_ENV) or Path(__file__).resolve().parent.parent)


DEFAULT_STACK = "nonprod"
BAD_INPUT = 1
CANNOT_WRITE = 2  # ./run's code for what this machine cannot do; here, take the output (a full disk)
INTERRUPTED = 130  # stopped with Ctrl-C: what a shell reports for a command SIGINT ended


def schema_text() -> str:
    """`grants/schema.json` exactly as committed: generated from the models that validate the grants file."""
    return json.dumps(grants_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """`click.echo`, where output that cannot be delivered ends the command cleanly, never with a traceback.

    A reader that stops reading (`plan | head`, `plan | true`) is no failure: the rest of the output goes
    to /dev/null (the standard way, as Python's documentation of SIGPIPE gives it), so neither this write
    nor the flush at exit raises again, and the command ends with the status of what it found (0, or 1 for
    bad input): the exit codes keep their documented meaning, and a reader that has seen enough is no failure.

    Output that cannot be written at all (a full disk) is lost, so the command says so in one line on
    stderr and exits 2, the code for what this machine cannot do, whatever it found: 1 would say the
    grants are bad. The rest of the output goes to /dev/null the same way, so nothing raises at exit.
    """
    try:
        click.echo(text, nl=nl, err=err)
    except BrokenPipeError:
        _discard_the_rest(err)
    except OSError as failure:
        _discard_the_rest(err)
        if not err:  # when stderr itself cannot be written, the exit code is all that can be said
            _echo(f"./run: cannot write the output: {failure.strerror or failure}", err=True)
        raise SystemExit(CANNOT_WRITE) from None


def _discard_the_rest(err: bool) -> None:
    """Send the rest of stdout (or stderr) to /dev/null, so nothing written later, nor the flush at exit, fails."""
    try:
        descriptor = (sys.stderr if err else sys.stdout).fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): nothing to redirect
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _print(output_format: str, as_json: Callable[[], dict[str, Any]], as_text: Callable[[], str]) -> None:
    """Print one result in the chosen format; the two renderings hold the same content."""
    if output_format == "json":
        _echo(json.dumps(as_json(), indent=2, ensure_ascii=False))
    else:
        _echo(as_text(), nl=False)


def _refuse(message: str, output_format: str = "text") -> None:
    """Bad input, exit status 1: the clean message on stderr, or with --format json a JSON object on stdout."""
    if output_format == "json":
        refusal = {"refused": True, "exitCode": BAD_INPUT, "message": message}
        _echo(json.dumps(refusal, indent=2, ensure_ascii=False))
    else:
        _echo(message, err=True)
    raise SystemExit(BAD_INPUT)


def user_path(path: str) -> Path:
    """A path as the user typed it: relative to the directory they ran `./run` in, not to the project."""
    given = Path(path).expanduser()
    return given if given.is_absolute() else Path(os.environ.get(CWD_ENV) or Path.cwd()) / given


def _exists(path: Path) -> bool:
    """`Path.exists`, where a name the system cannot even look up (longer than it allows) is no file."""
    try:
        return path.exists()
    except OSError:
        return False


def _existing_path(context: click.Context, parameter: click.Parameter, value: str | None) -> Path | None:
    if value is None:
        return None
    path = user_path(value)
    if not _exists(path):
        raise click.BadParameter(f"no such file or directory: {value}")
    return path


def looks_like_a_file(base: str) -> bool:
    """`--diff BASE` names grants on disk when it ends in .yaml/.yml or is an existing file or grants directory;
    else a git revision."""
    return base.endswith((".yaml", ".yml")) or _exists(user_path(base))


def _check_base(context: click.Context, parameter: click.Parameter, value: str | None) -> str | None:
    """A BASE that is no grants file and no revision git knows is a usage error (exit 2), not bad input (1)."""
    if value is None:
        return None
    if looks_like_a_file(value):
        if not _exists(user_path(value)):
            raise click.BadParameter(f"no such grants file: {value} (a git revision does not end in .yaml)")
        return value
    unknown = unknown_revision(project_root(), value)
    if unknown is not None:
        raise click.BadParameter(unknown)
    return value


def _check_stack(context: click.Context, parameter: click.Parameter, stack: str) -> str:
    stacks = known_stacks(project_root())
    if stack not in stacks:
        raise click.BadParameter(f"no Pulumi.{stack}.yaml here; the stacks are: {', '.join(stacks)}")
    return stack


def _show_help(context: click.Context, parameter: click.Parameter, value: bool) -> None:
    """click's own `--help` callback, printing through `_echo`: `plan --help | head` ends as `plan | head` does."""
    if value and not context.resilient_parsing:
        _echo(context.get_help())
        context.exit()


def _help_through_echo(option: click.Option | None) -> click.Option | None:
    """click's help option, with `_show_help` in place of its own callback (which exits 1 on a closed pipe)."""
    if option is not None:
        option.callback = _show_help
    return option


@contextlib.contextmanager
def _usage_errors_reported_here() -> Iterator[None]:
    """Report a usage error (exit 2) here, where a stderr that cannot take the report ends it with its own code.

    click reports one outside its guard against a failed write, so with stderr on a full disk or a closed pipe
    (`./run plan --no-such-option 2>/dev/full`) its traceback, unwritable too, ended the command with 1, the
    code for bad grants. The exit code is then all that can be said, and it must be the usage error's.
    """
    try:
        yield
    except click.ClickException as problem:
        try:
            problem.show()
        except OSError:
            _discard_the_rest(err=True)
        raise SystemExit(problem.exit_code) from None


@contextlib.contextmanager
def _interrupted_is_not_bad_input() -> Iterator[None]:
    """Ctrl-C ends the command with 130, as a shell reports a command ended by SIGINT (128 + 2).

    click's own handling prints "Aborted!" and exits 1, which here means bad grants: a script or CI job
    reading the code would blame the grants file for a run someone stopped.
    """
    try:
        yield
    except KeyboardInterrupt:
        _echo("", err=True)  # the shell's prompt on a line of its own after the ^C
        raise SystemExit(INTERRUPTED) from None


class _Command(click.Command):
    """A subcommand whose `--help` is written like the rest of its output."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_through_echo(super().get_help_option(ctx))


class _Group(click.Group):
    """The command group: its `--help` and its subcommands' are written like the rest of their output, and a
    usage error (of the group, or of a subcommand, whose options are parsed in `invoke`) ends with exit 2."""

    command_class = _Command

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _help_through_echo(super().get_help_option(ctx))

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        with _usage_errors_reported_here():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _usage_errors_reported_here(), _interrupted_is_not_bad_input():
            return super().invoke(ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Review cross-account S3 grants without AWS credentials."""


@main.command()
@click.option(
    "--stack",
    default=DEFAULT_STACK,
    show_default=True,
    callback=_check_stack,
    help="The stack whose Pulumi.<stack>.yaml gives the accounts and profiles.",
)
@click.option(
    "--grants",
    "grants_path",
    metavar="FILE|DIR",
    callback=_existing_path,
    help="The grants file or directory to plan, instead of the stack's own (its grantsFile setting, or "
    "grants/<stack>.yaml).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json, with the same content, for CI and tooling.",
)
@click.option(
    "--diff",
    "base",
    metavar="BASE",
    callback=_check_base,
    help="Show what changes from BASE: a git revision such as origin/main, where the stack as it was then "
    "(its stack file and its own grants) is the base; or a grants file (*.yaml) or directory, compared with "
    "today's stack file on both sides.",
)
def plan(stack: str, grants_path: Path | None, output_format: str, base: str | None) -> None:
    """Show what the stack would create, or with --diff what a change grants; offline, like `pulumi preview`.

    Plan does not contact AWS: every user and bucket is assumed to exist, with no bucket policy.
    """
    try:
        root = project_root()
        head_grants = shown_path(root, grants_path) if grants_path else default_grants_file(root, stack)
        head = plan_stack(root, stack, head_grants)
        if base is None:
            _print(output_format, lambda: plan_as_json(head), lambda: render_plan_text(head))
            return
        base_snapshot = _plan_base(stack, base)
        diff = diff_plans(base_snapshot, head)
        _print(output_format, lambda: diff_as_json(diff), lambda: render_diff_text(diff))
    except PlanRefused as refused:
        _refuse(refused.message, output_format)
    except InputProblems as problems:
        _refuse(problems.render(), output_format)
    except Exception as failure:  # noqa: BLE001 - a bug must still reach the user as one clean line
        _refuse(f"plan failed unexpectedly: {type(failure).__name__}: {failure}", output_format)


def _plan_base(stack: str, base: str) -> PlanSnapshot:
    """Plan BASE: a grants file or directory with today's stack file, or the whole stack at git revision BASE.

    The base of a git revision is the stack as it was then: its stack file (accounts, group prefix,
    profiles, regions) and the grants that stack file named, whatever `--grants` names, so a draft kept
    anywhere (even outside the repository) is compared with what the stack had at that revision. A grants
    file as BASE has no revision to read a stack file at, so both sides share today's; the diff says so.
    """
    root = project_root()
    if looks_like_a_file(base):
        base_file = shown_path(root, user_path(base))
        return _label_refusal(base_file, lambda: plan_stack(root, stack, base_file))
    return plan_at_revision(root, stack, base)


def _label_refusal(label: str, planner: Callable[[], PlanSnapshot]) -> PlanSnapshot:
    """Run the base plan, saying plainly that it is the base, not the change, that is invalid."""
    try:
        snapshot = planner()
    except PlanRefused as refused:
        raise PlanRefused(f"the base grants ({label}) cannot be planned:\n{refused.message}") from None
    return snapshot


@main.command()
def schema() -> None:
    """Print the grants file's JSON Schema (committed as grants/schema.json), generated from its validating models."""
    _echo(schema_text(), nl=False)
