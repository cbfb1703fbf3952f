"""`./run`, the entry point: its help, its Python check and its usage errors (none of these installs anything)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def run_script(*arguments: str, python: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if python is not None:
        env["PYTHON"] = python
    return subprocess.run(
        [str(REPO_ROOT / "run"), *arguments], capture_output=True, text=True, env=env, check=False, timeout=60
    )


def test_help_exits_0_and_lists_the_subcommands_and_exit_codes() -> None:
    result = run_script("--help")
    assert result.returncode == 0
    for subcommand in ("plan", "schema", "test"):
        assert f"\n  {subcommand}" in result.stdout
    assert "exit codes:" in result.stdout and "\n  1  bad input" in result.stdout


def help_written_to(descriptor: int) -> subprocess.CompletedProcess[str]:
    """`./run --help` with its stdout on `descriptor`."""
    return subprocess.run(
        [str(REPO_ROOT / "run"), "--help"],
        stdout=descriptor,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=60,
    )


def test_help_to_a_reader_that_stops_reading_exits_0_quietly_as_plan_does() -> None:
    """`./run --help | head -1` is no failure: the shell's help must not end with SIGPIPE's 141, nor say a word."""
    reader, writer = os.pipe()
    os.close(reader)  # its every write fails with EPIPE (or SIGPIPE), as when `head` has seen enough
    try:
        result = help_written_to(writer)
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, where every write fails as on a full disk")
def test_help_that_cannot_be_written_says_so_in_plan_s_words_and_exits_2() -> None:
    """Not cat's own message and status 1, which means bad grants: the line and code of `plan > /dev/full`."""
    descriptor = os.open("/dev/full", os.O_WRONLY)
    try:
        result = help_written_to(descriptor)
    finally:
        os.close(descriptor)
    assert (result.returncode, result.stderr) == (2, "./run: cannot write the output: No space left on device\n")


@contextlib.contextmanager
def unwritable_descriptor(kind: str) -> Iterator[int]:
    """A file descriptor every write to fails on: a pipe whose reader is gone, or /dev/full (a full disk)."""
    if kind == "closed pipe":
        reader, descriptor = os.pipe()
        os.close(reader)
    else:
        descriptor = os.open("/dev/full", os.O_WRONLY)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def test_an_unknown_command_is_a_usage_error() -> None:
    result = run_script("deploy")
    assert result.returncode == 2
    assert "unknown command 'deploy'" in result.stderr and "usage: ./run" in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, where every write fails as on a full disk")
@pytest.mark.parametrize("unwritable", ["closed pipe", "full disk"])
@pytest.mark.parametrize("arguments", [["deploy"], []])
def test_a_usage_error_that_cannot_be_reported_still_exits_2(arguments: list[str], unwritable: str) -> None:
    """`./run deploy 2>/dev/full` ended with 1 (the failed echo, under set -e), which means bad grants, and with
    stderr a closed pipe with SIGPIPE's 141: the usage error's 2 is all that can be said."""
    with unwritable_descriptor(unwritable) as descriptor:
        result = subprocess.run(
            [str(REPO_ROOT / "run"), *arguments],
            stdout=subprocess.PIPE,
            stderr=descriptor,
            text=True,
            check=False,
            timeout=60,
        )
    assert (result.returncode, result.stdout) == (2, "")


def test_a_python_older_than_3_11_is_refused_clearly(tmp_path: Path) -> None:
    old = tmp_path / "python3"
    old.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.18' || exit 1\n")
    old.chmod(0o755)
    result = run_script("plan", python=str(old))
    assert result.returncode == 2
    assert "needs Python 3.11 or later" in result.stderr and "Python 3.9.18" in result.stderr
    missing = run_script("plan", python=str(tmp_path / "no-such-python"))
    assert missing.returncode == 2 and "was not found" in missing.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, where every write fails as on a full disk")
@pytest.mark.parametrize("unwritable", ["closed pipe", "full disk"])
def test_a_missing_python_exits_2_even_when_stderr_cannot_say_so(tmp_path: Path, unwritable: str) -> None:
    """The message's failed echo ended ./run with 1 (set -e), which means bad grants, or 141 (SIGPIPE)."""
    env = {**os.environ, "PYTHON": str(tmp_path / "no-such-python")}
    with unwritable_descriptor(unwritable) as descriptor:
        result = subprocess.run(
            [str(REPO_ROOT / "run"), "plan"],
            stdout=subprocess.PIPE,
            stderr=descriptor,
            env=env,
            check=False,
            timeout=60,
        )
    assert result.returncode == 2


def test_a_failed_set_up_exits_2_never_1_which_means_bad_grants(tmp_path: Path) -> None:
    """A Python without pip, and no pinned uv on PATH: ./run cannot install, and says so with the machine's code."""
    checkout = tmp_path / "checkout"  # a copy: the real checkout's venv must never be rebuilt by a test
    checkout.mkdir()
    for name in ("run", "uv.lock"):
        shutil.copy2(REPO_ROOT / name, checkout / name)
    venv.create(tmp_path / "no-pip", with_pip=False)
    # PATH has the shell's own tools only: no uv of the pinned version is there
    env = {**os.environ, "PYTHON": str(tmp_path / "no-pip" / "bin" / "python"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(checkout / "run"), "plan"], capture_output=True, text=True, env=env, check=False, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "set-up failed while installing uv" in result.stderr and "nothing was planned" in result.stderr
