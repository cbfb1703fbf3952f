"""The impure half of `plan`: run the real program under Pulumi's mock runtime, and read old grants from git.

Plan has no credentials, so it runs the program in a permissive fake world (every user and bucket
exists, with no policy). What it registers is what `pulumi preview` would show, minus anything only
AWS knows; `review.render` and `review.diff` then read the recorded snapshot.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..core.outputs import read_grants_output
from ..core.settings import GRANTS_FILE_KEY as GRANTS_FILE_SETTING
from ..core.settings import NAMESPACE, grants_file_of
from ..core.stack_file import stack_config
from ..infra.offline_runner import ProgramRun, run_program
from .snapshot import STACK_TYPE, PlannedResource, PlanSnapshot, decode_input, name_in_urn

GRANTS_FILE_KEY = f"{NAMESPACE}:{GRANTS_FILE_SETTING}"


class PlanRefused(Exception):
    """The program refused its input (or could not run); `message` is the clean text to show, no traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def known_stacks(project_root: Path) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` next to the program."""
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in project_root.glob("Pulumi.*.yaml"))


def default_grants_file(project_root: Path, stack: str) -> str:
    """The grants file the stack reads when `--grants` is not given, as the program itself decides it."""
    return grants_file_of(stack, stack_config(project_root, stack).get(GRANTS_FILE_KEY))


def shown_path(project_root: Path, path: Path) -> str:
    """A grants file path as the program should report it: relative to the project when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(project_root.resolve()))
    except ValueError:
        return str(resolved)


def _stack_urn(stack: str, run: ProgramRun) -> str:
    for registration in run.registrations:
        if registration.parent and registration.parent.split("::")[-2:-1] == [STACK_TYPE]:
            return registration.parent
    return f"urn:pulumi:{stack}::cross-account-s3::{STACK_TYPE}::cross-account-s3-{stack}"


def snapshot_of(run: ProgramRun, stack: str, grants_label: str) -> PlanSnapshot:
    """The plain-data view of one mock run that the pure review code reads."""
    resources = tuple(
        PlannedResource(
            urn=registration.urn,
            type=registration.type,
            name=registration.name,
            parent=registration.parent,
            provider=name_in_urn(registration.provider.rsplit("::", 1)[0]) if registration.provider else "",
            inputs={key: decode_input(value) for key, value in registration.inputs.items()},
        )
        for registration in run.registrations
    )
    outputs: Mapping[str, Any] = run.outputs
    return PlanSnapshot(
        stack=stack,
        grants_file=grants_label,
        stack_urn=_stack_urn(stack, run),
        resources=resources,
        accounts=dict(outputs.get("accounts") or {}),
        grants=read_grants_output(outputs.get("grants")),
        bucket_keys=dict(outputs.get("bucketKeys") or {}),
        warnings=tuple(run.warnings),
    )


def plan_stack(project_root: Path, stack: str, grants_file: str, grants_label: str | None = None) -> PlanSnapshot:
    """Run the program for `stack` with `grants_file`, offline; raise `PlanRefused` with its clean problem list.

    `grants_label` replaces the file's path in messages when the file is a temporary copy (from git).
    """
    label = grants_label or grants_file
    try:
        run = run_program(project_root, stack, config={GRANTS_FILE_KEY: grants_file}, world=None)
    except Exception as failure:  # noqa: BLE001 - a crash must still end as a clean message
        raise PlanRefused(f"the program failed while planning {label}: {type(failure).__name__}: {failure}") from None
    if run.error is not None:
        raise PlanRefused(run.error.replace(grants_file, label))
    snapshot = snapshot_of(run, stack, label)
    if grants_label:
        snapshot = PlanSnapshot(
            stack=snapshot.stack,
            grants_file=label,
            stack_urn=snapshot.stack_urn,
            resources=snapshot.resources,
            accounts=snapshot.accounts,
            grants=snapshot.grants,
            bucket_keys=snapshot.bucket_keys,
            warnings=tuple(warning.replace(grants_file, label) for warning in snapshot.warnings),
        )
    return snapshot


def read_at_revision(project_root: Path, grants_file: str, revision: str) -> str:
    """The grants file's text at a git revision (`git show REV:path`); `PlanRefused` says why it cannot be read."""
    path = (project_root / grants_file).resolve()
    if revision.startswith("-"):
        raise PlanRefused(f"{revision!r} is not a git revision (it starts with '-')")
    try:
        result = subprocess.run(
            ["git", "show", f"{revision}:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            text=True,
            check=False,
        )
    except (FileNotFoundError, NotADirectoryError) as failure:
        raise PlanRefused(f"cannot run git to read {grants_file} at {revision}: {failure}") from None
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["git show failed"])[0].removeprefix("fatal: ")
        raise PlanRefused(
            f"cannot read the base grants file {grants_file} at {revision!r}: {reason}\n"
            f"    fix: give --diff a git revision where {grants_file} exists, or a grants file path"
        )
    return result.stdout


@contextmanager
def grants_at_revision(project_root: Path, grants_file: str, revision: str) -> Iterator[str]:
    """A temporary copy of the grants file as it was at `revision`, for the program to read; removed afterwards."""
    text = read_at_revision(project_root, grants_file, revision)
    with tempfile.TemporaryDirectory(prefix="cross-account-s3-base-") as directory:
        copy = Path(directory) / Path(grants_file).name
        copy.write_text(text, encoding="utf-8")
        yield str(copy)
