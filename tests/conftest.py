"""Shared fixtures: run the real program under Pulumi's mock runtime, against a small fake world.

The tests never read the repository's own `grants/*.yaml` or `Pulumi.<stack>.yaml`: those are the
team's data and change with every grants pull request. They run against a fixture project instead:
the stacks and grants in tests/fixtures/project, next to a copy of the real `Pulumi.yaml` and
`__main__.py`, so the program under test is the real one and only its inputs are the tests' own.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cross_account_s3.cli import PROJECT_ENV
from cross_account_s3.infra.mock_runtime import FakeAccount, FakeWorld, ProgramRun, run_program

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_INPUTS = Path(__file__).resolve().parent / "fixtures" / "project"


def _fixture_project() -> Path:
    """A throwaway project: the real program and Pulumi.yaml, with the fixture stacks and grants."""
    root = Path(tempfile.mkdtemp(prefix="cross-account-s3-fixture-"))
    atexit.register(shutil.rmtree, root, True)
    shutil.copytree(FIXTURE_INPUTS, root, dirs_exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    return root


PROJECT_ROOT = _fixture_project()  # the project every test runs; never the repository's own grants
os.environ[PROJECT_ENV] = str(PROJECT_ROOT)  # so `plan`, in-process or in a subprocess, reads it too
NONPROD = "123456789012"  # the fixture stacks' account IDs
BUILD = "012345678901"
THIRD = "999988887777"

RunProgram = Callable[..., ProgramRun]


def world_with(
    users: dict[str, dict[str, str]] | None = None, buckets: dict[str, dict[str, Any]] | None = None
) -> FakeWorld:
    """A fake world: users by account (name -> path) and buckets by account (name -> policy or None)."""
    world = FakeWorld()
    for account, named in (users or {}).items():
        world.account(account).users.update(named)
    for account, named in (buckets or {}).items():
        world.account(account).buckets.update(named)
    return world


def committed_world() -> FakeWorld:
    """The users and buckets the fixture grants files name, each in its right account, with no policies."""
    return world_with(
        users={
            BUILD: {"test.user": "/", "u01": "/", "u02": "/", "u03": "/", "admin": "/"},
            NONPROD: {"qa-runner": "/", "ua-runner": "/", "perf-lab": "/perf/"},
        },
        buckets={
            NONPROD: {"my-shared-bucket-20932": None, "reports-bucket": None, "other-bucket": None},
            BUILD: {
                "build-artifacts-012345678901": None,
                "build-test-reports-012345678901": None,
                "build-cache-012345678901": None,
            },
        },
    )


@pytest.fixture
def run() -> RunProgram:
    """Run `__main__.py` for a stack; `world` defaults to one holding everything the fixture files name."""

    def _run(
        stack: str = "nonprod", *, config: dict[str, str] | None = None, world: FakeWorld | None = None
    ) -> ProgramRun:
        return run_program(PROJECT_ROOT, stack, config=config, world=world or committed_world())

    return _run


@pytest.fixture
def grants_file(tmp_path: Path) -> Callable[[str], dict[str, str]]:
    """Write a grants file and return the config that points the stack at it."""

    def _write(text: str, name: str = "grants.yaml") -> dict[str, str]:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return {"cross-account-s3:grantsFile": str(path)}

    return _write


def policy_of(run: ProgramRun, name: str) -> dict[str, Any]:
    return json.loads(run.by_name(name).inputs["policy"])


AWS_RESOURCE_PREFIXES = ("aws:",)


def aws_resources(run: ProgramRun) -> list[str]:
    return [r.name for r in run.registrations if r.type.startswith(AWS_RESOURCE_PREFIXES)]


__all__ = ["PROJECT_ROOT", "FakeAccount"]
