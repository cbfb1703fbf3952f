"""The impure half of `plan`: run the real program under Pulumi's mock runtime, and read a stack's past from git.

Plan has no credentials, so it runs the program in a permissive fake world (every user and bucket
exists, with no policy). What it registers is what `pulumi preview` would show, minus anything only
AWS knows; `review.render` and `review.diff` then read the recorded snapshot.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from ..core.outputs import read_grants_output
from ..core.problems import InputProblems, Problem
from ..core.settings import GRANTS_FILE_KEY as GRANTS_FILE_SETTING
from ..core.settings import NAMESPACE, grants_file_of, stack_file_name
from ..core.stack_file import config_of, stack_config
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
    return _default_stack_urn(stack)


def _default_stack_urn(stack: str) -> str:
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


def plan_stack(
    project_root: Path,
    stack: str,
    grants_file: str,
    grants_label: str | None = None,
    stack_file_label: str | None = None,
) -> PlanSnapshot:
    """Run the program for `stack` with `grants_file`, offline; raise `PlanRefused` with its clean problem list.

    `grants_label` and `stack_file_label` replace the files' names in messages when they are temporary copies
    (from git), so a problem points where the reader can look, such as `origin/main:Pulumi.nonprod.yaml:12`.
    """
    label = grants_label or grants_file
    stack_file = stack_file_name(stack)
    stack_file_mention = re.compile(rf"(?<![\w./:-]){re.escape(stack_file)}")

    def relabel(text: str) -> str:
        text = text.replace(grants_file, label)
        return stack_file_mention.sub(lambda _: stack_file_label, text) if stack_file_label else text

    try:
        settings = stack_config(project_root, stack)
        run = run_program(project_root, stack, config={GRANTS_FILE_KEY: grants_file}, world=None)
    except InputProblems as refused:  # the stack file, read as Pulumi reads it, before the program runs
        raise PlanRefused(relabel(refused.render())) from None
    except Exception as failure:  # noqa: BLE001 - a crash must still end as a clean message
        raise PlanRefused(f"the program failed while planning {label}: {type(failure).__name__}: {failure}") from None
    if run.error is not None:
        raise PlanRefused(relabel(run.error))
    snapshot = snapshot_of(run, stack, label)
    return dataclasses.replace(
        snapshot,
        warnings=tuple(relabel(warning) for warning in snapshot.warnings),
        stack_file=stack_file_label or stack_file,
        stack_settings=settings,
    )


def plan_at_revision(project_root: Path, stack: str, revision: str) -> PlanSnapshot:
    """The stack as it was at a git revision: today's program, run on the stack file and the grants of then.

    The stack file matters as much as the grants: it names the accounts every policy points at, the group
    prefix, the profiles and the regions, so a change to it must show in the diff. The program reads its
    stack file beside itself, so the base runs in a throwaway copy of the project that holds the stack file
    of then. The grants are the ones that stack file named (`grantsFile`), so moving them into a directory
    is no change. A revision without the stack file had no such stack: the base is empty, and the diff says so.
    A base this program cannot plan (refused by today's checks, or its grants missing) is empty too, with its
    problems in `problems`: the change is still shown, and the diff warns about the base.
    """
    name = stack_file_name(stack)
    stack_label = f"{revision}:{name}"
    content = files_at_revision(project_root, name, revision, required=False).get(name)
    if content is None:
        return no_stack(stack, stack_label, f"(no stack {stack} at {revision})")
    try:
        config = config_of(_utf8(content, stack_label), stack_label)
    except InputProblems as problems:
        message = f"the base stack file ({stack_label}) cannot be planned:\n{problems.render()}"
        return unplannable(stack, stack_label, f"(the stack {stack} at {revision} cannot be planned)", message)
    grants_file = grants_file_of(stack, config.get(GRANTS_FILE_KEY))
    grants_label = f"{revision}:{grants_file}"
    try:
        with (
            _project_with_stack_file(project_root, stack, content) as base_root,
            grants_at_revision(project_root, grants_file, revision) as copy,
        ):
            return plan_stack(base_root, stack, copy, grants_label=grants_label, stack_file_label=stack_label)
    except PlanRefused as refused:
        message = f"the base ({grants_label}, with {stack_label}) cannot be planned:\n{refused.message}"
        return unplannable(stack, stack_label, grants_label, message)


def unplannable(stack: str, stack_file_label: str, grants_label: str, problems: str) -> PlanSnapshot:
    """The base of a revision that today's program cannot plan (its checks may be newer than that revision, or
    its grants missing there): nothing at all, with the problems, so the diff shows everything as added and says
    why, instead of failing every change made on top of it, the one that fixes the base included."""
    return dataclasses.replace(
        no_stack(stack, stack_file_label, grants_label), stack_file_found=True, problems=problems
    )


def no_stack(stack: str, stack_file_label: str, grants_label: str) -> PlanSnapshot:
    """The plan of a stack that does not exist (its stack file is missing at the base revision): nothing at all."""
    return PlanSnapshot(
        stack=stack,
        grants_file=grants_label,
        stack_urn=_default_stack_urn(stack),
        resources=(),
        stack_file=stack_file_label,
        stack_file_found=False,
    )


def _utf8(content: bytes, shown_as: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = Problem.in_file(
            shown_as, f"the stack file cannot be read: {error}", "make it a readable UTF-8 text file"
        )
        raise InputProblems([problem]) from None


@contextmanager
def _project_with_stack_file(project_root: Path, stack: str, stack_file: bytes) -> Iterator[Path]:
    """A throwaway project: today's program (`__main__.py`, `Pulumi.yaml`) beside the given stack file."""
    with tempfile.TemporaryDirectory(prefix="cross-account-s3-base-project-") as directory:
        root = Path(directory)
        for name in ("Pulumi.yaml", "__main__.py"):
            if (project_root / name).is_file():
                shutil.copyfile(project_root / name, root / name)
        (root / stack_file_name(stack)).write_bytes(stack_file)
        yield root


def _git(cwd: Path, grants_file: str, revision: str, *arguments: str, given: bytes | None = None) -> bytes:
    """Run one git command that reads the grants at `revision`; `PlanRefused` says why it failed."""
    try:
        result = subprocess.run(["git", *arguments], cwd=cwd, input=given, capture_output=True, check=False)
    except (FileNotFoundError, NotADirectoryError) as failure:
        raise PlanRefused(f"cannot run git to read {grants_file} at {revision}: {failure}") from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip().splitlines() or [f"git {arguments[0]} failed"]
        _cannot_read(grants_file, revision, stderr[0].removeprefix("fatal: "))
    return result.stdout


def unknown_revision(project_root: Path, revision: str) -> str | None:
    """Why `--diff REVISION` names no commit git knows here, or None when it does.

    Asked before anything is planned, because an unknown revision is a mistake on the command line (a typo
    such as `orgin/main`, or a branch not fetched yet), not a problem with the grants: a usage error.
    """
    if revision.startswith("-"):
        return f"{revision!r} is not a git revision (it starts with '-')"
    try:
        known = _is_commit(project_root, revision)
        remotes = subprocess.run(["git", "remote"], cwd=project_root, capture_output=True, text=True, check=False)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return f"{revision!r} is no grants file here, and git, which would read it as a revision, cannot be run"
    if known:
        return None
    if remotes.returncode != 0:  # no repository: rev-parse failed for that reason, not for the name
        return (
            f"{revision!r} is no grants file here, and {project_root} is not in a git repository, so it cannot be "
            "a git revision either\n    fix: give --diff a grants file or directory"
        )
    names = remotes.stdout.split()
    fetched = [
        f"{remote}/{revision}" for remote in names if _is_commit(project_root, f"refs/remotes/{remote}/{revision}")
    ]
    fix = _how_to_fetch(revision, names, fetched)
    return f"{revision!r} is neither a grants file nor a git revision this repository has\n    fix: {fix}"


def _is_commit(project_root: Path, ref: str) -> bool:
    """Whether git reads `ref` as a commit here (raises when git cannot be run at all)."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=project_root,
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def _how_to_fetch(revision: str, remotes: list[str], fetched: list[str]) -> str:
    """What to do about a revision git does not know: usually a misspelt remote, or a branch not fetched yet.

    `fetched` are the remote branches of that name that are here (`origin/fix` for `fix`): git does not read a
    bare branch name as a remote's branch, so the fix is to name the remote, not to fetch again.
    """
    remote, _, branch = revision.partition("/")
    ci = "in CI, check out with the base branch's history (actions/checkout with fetch-depth: 0)"
    if fetched:
        return f"a remote's branch is named with its remote: --diff {' or --diff '.join(fetched)}"
    if not remotes:
        missing = f"there is no remote named {remote!r}: " if branch else ""
        return (
            f"{missing}this repository has no remotes; check the spelling, or give --diff a local branch, tag or "
            f"commit (git remote add origin URL, then git fetch origin, to compare with a remote's branch)"
        )
    if branch and remote in remotes:
        return f"check its spelling, or fetch it first: git fetch {remote} {branch}; {ci}"
    if branch:
        return (
            f"there is no remote {remote!r} (the remotes are: {', '.join(remotes)}); did you mean "
            f"--diff {remotes[0]}/{branch}? Fetch it first if needed: git fetch {remotes[0]} {branch}"
        )
    return (
        f"check its spelling; a remote's branch must be fetched first and named with its remote "
        f"(git fetch {remotes[0]} {revision}, then --diff {remotes[0]}/{revision}); {ci}"
    )


def _cannot_read(grants_file: str, revision: str, reason: str) -> NoReturn:
    raise PlanRefused(
        f"cannot read the base grants file {grants_file} at {revision!r}: {reason}\n"
        f"    fix: give --diff a git revision where {grants_file} exists, or a grants file path"
    )


def files_at_revision(
    project_root: Path, grants_file: str, revision: str, *, required: bool = True
) -> dict[str, bytes]:
    """The file, or every file of the directory, at a git revision: path (relative to the file's folder,
    '/'-separated) -> content. `PlanRefused` says why they cannot be read; a path the revision does not
    have is refused too, unless not `required` (then the answer is empty)."""
    path = (project_root / grants_file).resolve()
    if revision.startswith("-"):
        raise PlanRefused(f"{revision!r} is not a git revision (it starts with '-')")
    # One listing of the blobs at or under the path, then one process that prints them all.
    listing = _git(path.parent, grants_file, revision, "ls-tree", "-r", "-z", revision, "--", f"./{path.name}")
    blobs = [
        (meta.split()[2], name)
        for meta, _, name in (os.fsdecode(entry).partition("\t") for entry in listing.split(b"\0") if entry)
        if meta.split()[1] == "blob" and meta.split()[0] != "120000"  # not symbolic links
    ]
    if not blobs:
        if not required:
            return {}
        _cannot_read(grants_file, revision, f"path '{path.name}' does not exist in '{revision}'")
    given = "".join(f"{sha}\n" for sha, _ in blobs).encode()
    printed = _git(path.parent, grants_file, revision, "cat-file", "--batch", given=given)
    contents: dict[str, bytes] = {}
    for _, name in blobs:
        header, _, printed = printed.partition(b"\n")
        size = int(header.split()[2])
        contents[name], printed = printed[:size], printed[size + 1 :]
    return contents


@contextmanager
def grants_at_revision(project_root: Path, grants_file: str, revision: str) -> Iterator[str]:
    """A temporary copy of the grants (a file, or a directory of files) as they were at `revision`, for the
    program to read; removed afterwards."""
    contents = files_at_revision(project_root, grants_file, revision)
    with tempfile.TemporaryDirectory(prefix="cross-account-s3-base-") as directory:
        for name, content in contents.items():
            copy = Path(directory) / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(content)
        yield str(Path(directory) / (project_root / grants_file).resolve().name)
