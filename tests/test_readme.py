"""Every `sh` block of the README runs as written from a fresh clone.

The rule, as the README states it: each ```sh block runs, in order, in a fresh copy of the repository
(cloned from a bare `origin` whose `main` holds the working tree with the sample stacks and grants of
tests/fixtures/project, so `origin/main` exists and a team's own grants cannot break it), except
blocks whose first line is `# needs AWS credentials and the Pulumi CLI`, and except `./run test`,
which CI itself runs as its first step. Blocks run with a throwaway HOME, so nothing they install
lands in the user's own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_INPUTS, REPO_ROOT

NEEDS_AWS = "# needs AWS credentials and the Pulumi CLI"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\S*)\n(?P<body>.*?)^(?P=indent)```$", re.MULTILINE | re.DOTALL)
TEST_ENV_KEYS = ("CROSS_ACCOUNT_S3_PROJECT", "CROSS_ACCOUNT_S3_CWD", "VIRTUAL_ENV", "PYTHONPATH")


def shell_blocks(markdown: str) -> list[str]:
    """The README's ```sh blocks, dedented to where their fence starts."""
    blocks = []
    for match in FENCE.finditer(markdown):
        if match.group("lang") == "sh":
            indent = len(match.group("indent"))
            blocks.append("".join(line[indent:] for line in match.group("body").splitlines(keepends=True)))
    return blocks


def runnable(block: str) -> bool:
    return not block.startswith(NEEDS_AWS)


def without_self_test(block: str) -> str:
    return "\n".join(
        "true  # ./run test: CI runs it" if line.startswith("./run test") else line for line in block.splitlines()
    )


README_BLOCKS = shell_blocks((REPO_ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_rule_finds_blocks_of_both_kinds() -> None:
    assert any(runnable(b) for b in README_BLOCKS) and any(not runnable(b) for b in README_BLOCKS)
    for block in README_BLOCKS:
        commands = [line.split()[0] for line in block.splitlines() if line.strip() and not line.startswith(("#", " "))]
        if runnable(block):
            assert not {"pulumi", "aws"} & set(commands), f"a runnable block calls AWS or Pulumi:\n{block}"
        else:
            assert {"pulumi", "aws"} & set(commands), f"a block marked as needing AWS does not:\n{block}"


def _git(cwd: Path, *arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the working tree as it is (committed or not), with `origin/main`.

    The clone holds the fixture stacks and grants in place of the repository's own, as a fresh clone of
    the project as shipped would: the README's examples must not depend on the grants a team has added.
    """
    root = tmp_path_factory.mktemp("readme")
    snapshot = root / "snapshot"
    files = _git(REPO_ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    for stack_file in snapshot.glob("Pulumi.*.yaml"):
        stack_file.unlink()
    shutil.rmtree(snapshot / "grants")
    shutil.copytree(FIXTURE_INPUTS, snapshot, dirs_exist_ok=True)
    shutil.copy2(REPO_ROOT / "grants" / "schema.json", snapshot / "grants" / "schema.json")
    _git(snapshot, "init", "-q", "-b", "main")
    _git(snapshot, "add", "-A")
    _git(snapshot, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "snapshot")
    _git(root, "clone", "-q", "--bare", str(snapshot), "origin.git")
    _git(root, "clone", "-q", str(root / "origin.git"), "clone")
    return root / "clone"


def test_every_runnable_readme_block_runs_from_a_fresh_clone(fresh_clone: Path, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in TEST_ENV_KEYS}
    env.update(
        HOME=str(tmp_path),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        UV_CACHE_DIR=str(Path.home() / ".cache" / "uv"),  # a cold cache only costs download time
    )
    for block in filter(runnable, README_BLOCKS):
        script = "set -euo pipefail\n" + without_self_test(block)
        result = subprocess.run(
            ["bash", "-c", script], cwd=fresh_clone, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"{textwrap.indent(block, '  ')}\nfailed:\n{result.stdout}\n{result.stderr}"
