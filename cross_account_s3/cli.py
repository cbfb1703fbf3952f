"""The review command line: see what a grants change grants, with no credentials, network or Pulumi CLI.

`plan` runs the real program under Pulumi's mock runtime and prints what `pulumi preview` would
register, with every policy in full; `plan --diff BASE` prints what changing the grants from BASE
would do. `schema` prints the grants file's JSON Schema for editors. Exit codes: 0 success, 1 bad
input (the program's own clean problem list), 2 usage errors. No Python traceback reaches the user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .core.grants import grants_json_schema
from .core.problems import InputProblems
from .review.diff import diff_plans
from .review.render import diff_as_json, plan_as_json, render_diff_text, render_plan_text
from .review.runner import (
    PlanRefused,
    default_grants_file,
    grants_at_revision,
    grants_file_at_revision,
    known_stacks,
    plan_stack,
    shown_path,
)
from .review.snapshot import PlanSnapshot

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STACK = "nonprod"
BAD_INPUT = 1


def schema_text() -> str:
    """`grants/schema.json` exactly as committed: generated from the models that validate the grants file."""
    return json.dumps(grants_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _print(output_format: str, as_json: Callable[[], dict[str, Any]], as_text: Callable[[], str]) -> None:
    """Print one result in the chosen format; the two renderings hold the same content."""
    if output_format == "json":
        click.echo(json.dumps(as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(as_text(), nl=False)


def _refuse(message: str) -> None:
    """Bad input: the clean message on stderr, exit status 1."""
    click.echo(message, err=True)
    raise SystemExit(BAD_INPUT)


def _check_stack(context: click.Context, parameter: click.Parameter, stack: str) -> str:
    stacks = known_stacks(PROJECT_ROOT)
    if stack not in stacks:
        raise click.BadParameter(f"no Pulumi.{stack}.yaml here; the stacks are: {', '.join(stacks)}")
    return stack


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    type=click.Path(exists=True, path_type=Path),
    help="The grants file or directory to plan, instead of the stack's own (grants/<stack>.yaml).",
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
    help="Show what changes from BASE: another grants file or directory, or a git revision such as origin/main.",
)
def plan(stack: str, grants_path: Path | None, output_format: str, base: str | None) -> None:
    """Show what the stack would create, or with --diff what a change grants; offline, like `pulumi preview`.

    Plan does not contact AWS: every user and bucket is assumed to exist, with no bucket policy.
    """
    try:
        head_grants = shown_path(PROJECT_ROOT, grants_path) if grants_path else default_grants_file(PROJECT_ROOT, stack)
        head = plan_stack(PROJECT_ROOT, stack, head_grants)
        if base is None:
            _print(output_format, lambda: plan_as_json(head), lambda: render_plan_text(head))
            return
        base_snapshot = _plan_base(stack, base, head_grants, own_grants=grants_path is None)
        diff = diff_plans(base_snapshot, head)
        _print(output_format, lambda: diff_as_json(diff), lambda: render_diff_text(diff))
    except PlanRefused as refused:
        _refuse(refused.message)
    except InputProblems as problems:
        _refuse(problems.render())
    except BrokenPipeError:
        raise  # output piped into `head` and closed: click ends quietly with status 1
    except Exception as failure:  # noqa: BLE001 - a bug must still reach the user as one clean line
        _refuse(f"plan failed unexpectedly: {type(failure).__name__}: {failure}")


def _plan_base(stack: str, base: str, head_grants: str, *, own_grants: bool) -> PlanSnapshot:
    """Plan BASE: an existing grants file or directory as given, otherwise the grants at git revision BASE:
    the stack's own grants as its stack file named them then, or with --grants that path then."""
    if Path(base).exists():
        base_file = shown_path(PROJECT_ROOT, Path(base))
        return _label_refusal(base_file, lambda: plan_stack(PROJECT_ROOT, stack, base_file))
    base_grants = grants_file_at_revision(PROJECT_ROOT, stack, base) if own_grants else head_grants
    label = f"{base}:{base_grants}"
    with grants_at_revision(PROJECT_ROOT, base_grants, base) as copy:
        return _label_refusal(label, lambda: plan_stack(PROJECT_ROOT, stack, copy, grants_label=label))


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
    click.echo(schema_text(), nl=False)
