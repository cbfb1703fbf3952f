"""Shared fixtures: run the real program under Pulumi's mock runtime, against a small fake world."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cross_account_s3.infra.offline_runner import ProgramRun, run_program
from tests.fake_aws import FakeAccount, FakeWorld

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NONPROD = "123456789012"  # the committed stacks' placeholder account IDs
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
    """The users and buckets the committed grants files name, each in its right account, with no policies."""
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
    """Run `__main__.py` for a stack; `world` defaults to one holding everything the committed files name."""

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
