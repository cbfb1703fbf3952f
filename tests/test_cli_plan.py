"""`python -m cross_account_s3 plan`, run in-process: exit codes, what it prints, and that its JSON is the mock run.

Plan is what a reviewer and a credential-less CI job rely on, so its output must describe exactly
what the program registers, and bad input must end in the program's own clean problem list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cross_account_s3.cli import main
from cross_account_s3.core.problems import InputProblems
from cross_account_s3.infra.offline_runner import run_program
from cross_account_s3.review.runner import PlanRefused, plan_stack
from cross_account_s3.review.snapshot import LOOKUPS_NOTE, decode_input

from .conftest import BUILD, NONPROD, PROJECT_ROOT, REPO_ROOT


def plan(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["plan", *arguments])


def test_plan_shows_the_nonprod_tree_policies_and_summary() -> None:
    result = plan()
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Plan for stack nonprod, from grants/nonprod.yaml\n")
    assert LOOKUPS_NOTE in out
    # The tree, in preview's shape: providers pinned to their accounts, the grant's component with its children.
    assert "├─ pulumi:providers:aws" in out
    assert "bucket-account" in out and f"pinned to account {NONPROD}, profile nonprod" in out
    assert f"pinned to account {BUILD}, profile build" in out
    assert "├─ cross-account-s3:index:BucketGrant" in out
    for child in ("├─ aws:iam/group:Group", "├─ aws:iam/groupPolicy:GroupPolicy", "└─ aws:iam/groupMembership"):
        assert f"│  {child}" in out
    assert "└─ aws:s3/bucketPolicy:BucketPolicy" in out and "bucket-policy-my-shared-bucket-20932" in out
    # Every policy in full, pretty-printed.
    assert "Group policies (user account):" in out and "Bucket policies (bucket account):" in out
    assert '      "Sid": "BucketListing",' in out
    assert '"arn:aws:iam::012345678901:user/test.user"' in out
    assert out.rstrip().splitlines()[-1] == "Plan: 1 grant, 1 user, 1 bucket, 7 resources"
    assert result.stderr == ""


def test_plan_of_the_build_stack_counts_its_grants_users_and_buckets() -> None:
    result = plan("--stack", "build")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1] == "Plan: 3 grants, 3 users, 3 buckets, 17 resources"


def _registered(stack: str) -> list[dict[str, Any]]:
    run = run_program(PROJECT_ROOT, stack, world=None)
    assert run.error is None
    return [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "inputs": {key: decode_input(value) for key, value in r.inputs.items()},
        }
        for r in sorted(run.registrations, key=lambda r: r.urn)
    ]


@pytest.mark.parametrize("stack", ["nonprod", "build"])
def test_json_describes_exactly_the_resources_the_mock_run_registered(stack: str) -> None:
    result = plan("--stack", stack, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    shown = sorted(
        ({key: resource[key] for key in ("urn", "type", "name", "parent", "inputs")} for resource in data["resources"]),
        key=lambda resource: resource["urn"],
    )
    assert shown == _registered(stack)
    assert data["summary"]["resources"] == len(shown)
    assert data["stack"] == stack and data["grantsFile"] == f"grants/{stack}.yaml"
    assert data["lookups"] == LOOKUPS_NOTE
    stack_urn = f"urn:pulumi:{stack}::cross-account-s3::pulumi:pulumi:Stack::cross-account-s3-{stack}"
    top_level = [r for r in shown if "BucketGrant$" not in r["urn"]]  # children sit under their component
    assert {r["parent"] for r in top_level} == {stack_urn}


def test_json_has_the_same_content_as_the_text() -> None:
    data = json.loads(plan("--format", "json").stdout)
    assert {p["name"]: (p["accountId"], p["profile"]) for p in data["providers"]} == {
        "bucket-account": (NONPROD, "nonprod"),
        "user-account": (BUILD, "build"),
    }
    assert data["summary"] == {"grants": 1, "users": 1, "roles": 0, "buckets": 1, "resources": 7}
    run = run_program(PROJECT_ROOT, "nonprod", world=None)
    assert data["bucketPolicies"]["my-shared-bucket-20932"]["policy"] == json.loads(
        run.by_name("bucket-policy-my-shared-bucket-20932").inputs["policy"]
    )
    assert data["groupPolicies"]["build-reads-shared-bucket"]["policy"] == json.loads(
        run.by_name("build-reads-shared-bucket-policy").inputs["policy"]
    )
    assert data["grants"]["build-reads-shared-bucket"]["users"] == ["test.user"]
    assert data["bucketPolicies"]["my-shared-bucket-20932"]["account"] == NONPROD


def test_a_grants_file_option_plans_that_file(grants_file: Callable[[str], dict[str, str]]) -> None:
    config = grants_file(
        """
        grants:
          - name: reporters
            users: [u05, u06]
            buckets: [reports-bucket, other-bucket]
            access: read-write
        """
    )
    result = plan("--grants", config["cross-account-s3:grantsFile"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1] == "Plan: 1 grant, 2 users, 2 buckets, 8 resources"


def test_bad_input_prints_the_programs_clean_problem_list_and_exits_1(
    grants_file: Callable[[str], dict[str, str]],
) -> None:
    config = grants_file(
        """
        grants:
          - name: Bad Name
            users: [u01]
            bucket: reports-bucket
            access: admin
        """
    )
    path = config["cross-account-s3:grantsFile"]
    program_error = run_program(PROJECT_ROOT, "nonprod", config=config, world=None).error
    assert program_error is not None
    result = plan("--grants", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == program_error.strip()
    assert "found 2 problems" in result.stderr and "Traceback" not in result.output
    # With --format json the same refusal is one JSON object on stdout, for tooling; the exit code stays 1.
    as_json = plan("--grants", path, "--format", "json")
    assert as_json.exit_code == 1 and as_json.stderr == ""
    assert json.loads(as_json.stdout) == {"refused": True, "exitCode": 1, "message": program_error.strip()}


def test_paths_are_relative_to_where_the_user_ran_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "draft.yaml").write_text((PROJECT_ROOT / "grants" / "build.yaml").read_text())
    monkeypatch.setenv("CROSS_ACCOUNT_S3_CWD", str(tmp_path))
    result = plan("--stack", "build", "--grants", "draft.yaml", "--diff", "draft.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "no changes"
    assert plan("--grants", "grants/build.yaml").exit_code == 2  # not the project's file: the user's cwd has none


def test_usage_errors_name_the_run_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cross_account_s3", "plan", "--format", "xml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "Usage: ./run plan" in completed.stderr and "python -m" not in completed.stderr


def test_a_stack_whose_users_are_in_the_wrong_account_is_refused() -> None:
    result = plan("--stack", "nonprod", "--grants", str(PROJECT_ROOT / "grants" / "build.yaml"))
    assert result.exit_code == 1
    assert "is a user in account 123456789012" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["--stack", "no-such-stack"],
        ["--format", "yaml"],
        ["--grants", "/no/such/grants.yaml"],
        ["--no-such-option"],
        ["extra-argument"],
    ],
)
def test_usage_errors_exit_2(arguments: list[str]) -> None:
    result = plan(*arguments)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr and "Traceback" not in result.output


def test_an_unknown_stack_names_the_stacks_there_are() -> None:
    assert "the stacks are: build, nonprod" in plan("--stack", "prod").stderr


def test_a_crash_in_the_program_ends_as_one_clean_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("cross_account_s3.review.runner.run_program", explode)
    result = plan()
    assert result.exit_code == 1
    assert result.stderr.strip() == "the program failed while planning grants/nonprod.yaml: RuntimeError: boom"


def test_python_dash_m_runs_plan() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cross_account_s3", "plan", "--format", "json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["summary"]["resources"] == 7


def test_python_dash_m_usage_error_exits_2() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cross_account_s3", "plan", "--format", "xml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr


def _run_writing_to(arguments: tuple[str, ...], descriptor: int, stream: str) -> subprocess.CompletedProcess[str]:
    """Run the command with its stdout (or stderr) on `descriptor` and the other stream captured."""
    return subprocess.run(
        [sys.executable, "-m", "cross_account_s3", *arguments],
        cwd=REPO_ROOT,
        stdout=descriptor if stream == "stdout" else subprocess.PIPE,
        stderr=descriptor if stream == "stderr" else subprocess.PIPE,
        text=True,
        check=False,
        timeout=120,
    )


def _into_a_closed_pipe(*arguments: str, closed: str = "stdout") -> subprocess.CompletedProcess[str]:
    """Run the command with stdout (or stderr) a pipe whose reader has already gone, as in `./run plan | true`."""
    reader, writer = os.pipe()
    os.close(reader)  # closed before the command starts: its every write to the pipe fails with EPIPE
    try:
        return _run_writing_to(arguments, writer, closed)
    finally:
        os.close(writer)


def _into_a_full_device(*arguments: str, full: str = "stdout") -> subprocess.CompletedProcess[str]:
    """Run the command with stdout (or stderr) on /dev/full, where every write fails with ENOSPC, as on a full disk."""
    descriptor = os.open("/dev/full", os.O_WRONLY)
    try:
        return _run_writing_to(arguments, descriptor, full)
    finally:
        os.close(descriptor)


@pytest.mark.parametrize(
    ("arguments", "closed", "status"),
    [
        (["plan", "--format", "json"], "stdout", 0),
        (["plan"], "stdout", 0),
        (["schema"], "stdout", 0),
        (["--help"], "stdout", 0),
        (["plan", "--help"], "stdout", 0),
        (["schema", "-h"], "stdout", 0),
        (["plan", "--grants", str(PROJECT_ROOT / "grants" / "build.yaml"), "--format", "json"], "stdout", 1),
        (["plan", "--grants", str(PROJECT_ROOT / "grants" / "build.yaml")], "stderr", 1),
    ],
)
def test_a_reader_that_stops_reading_ends_the_output_quietly_with_the_documented_status(
    arguments: list[str], closed: str, status: int
) -> None:
    """`plan | head` is no failure: no message, no traceback, and the exit code still says what plan found
    (0 planned, 1 bad input: the build stack's grants are in the wrong account for nonprod), never 1 for
    the pipe alone."""
    completed = _into_a_closed_pipe(*arguments, closed=closed)
    assert completed.returncode == status
    assert (completed.stderr if closed == "stdout" else completed.stdout) == ""


CANNOT_WRITE = "./run: cannot write the output: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, where every write fails as on a full disk")
@pytest.mark.parametrize(
    ("arguments", "full"),
    [
        (["schema"], "stdout"),
        (["plan"], "stdout"),
        (["plan", "--format", "json"], "stdout"),
        (["plan", "--diff", str(PROJECT_ROOT / "grants" / "nonprod.yaml")], "stdout"),
        (["plan", "--diff", str(PROJECT_ROOT / "grants" / "nonprod.yaml"), "--format", "json"], "stdout"),
        (["plan", "--help"], "stdout"),
        (["plan", "--grants", str(PROJECT_ROOT / "grants" / "build.yaml"), "--format", "json"], "stdout"),
        (["plan", "--grants", str(PROJECT_ROOT / "grants" / "build.yaml")], "stderr"),
    ],
)
def test_output_that_cannot_be_written_is_one_clean_line_and_the_machine_s_exit_code(
    arguments: list[str], full: str
) -> None:
    """A full disk is no bad input (1): the output is lost, so the command says so in one line (on stderr,
    when stderr itself can take it) and exits 2, the code for what this machine cannot do, with no traceback
    and no "plan failed unexpectedly" (the refusal cases: bad input that cannot even be reported)."""
    completed = _into_a_full_device(*arguments, full=full)
    assert completed.returncode == 2
    assert (completed.stderr if full == "stdout" else completed.stdout) == (CANNOT_WRITE if full == "stdout" else "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, where every write fails as on a full disk")
@pytest.mark.parametrize("unwritable", ["closed pipe", "full disk"])
@pytest.mark.parametrize(
    "arguments",
    [["plan", "--no-such-option"], ["plan", "--stack", "no-such-stack"], ["plan", "--diff", "orgin/main"], ["deploy"]],
)
def test_a_usage_error_that_cannot_even_be_reported_still_exits_2(arguments: list[str], unwritable: str) -> None:
    """`./run plan --no-such-option 2>/dev/full`: click's own report of the usage error fails, and its traceback
    (unwritable too) used to end the command with 1, which says the grants are bad. The exit code is all that
    can be said here, so it must be the usage error's."""
    if unwritable == "closed pipe":
        completed = _into_a_closed_pipe(*arguments, closed="stderr")
    else:
        completed = _into_a_full_device(*arguments, full="stderr")
    assert (completed.returncode, completed.stdout) == (2, "")


def test_plan_reads_an_unquoted_account_id_as_pulumi_does(tmp_path: Path) -> None:
    """Pulumi's YAML 1.2 reads an unquoted 012345678901 as a number; plan must refuse it as preview would."""
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((PROJECT_ROOT / name).read_text())
    stack_file = (PROJECT_ROOT / "Pulumi.nonprod.yaml").read_text().replace('"012345678901"', "012345678901")
    (tmp_path / "Pulumi.nonprod.yaml").write_text(stack_file)
    (tmp_path / "grants").mkdir()
    (tmp_path / "grants" / "nonprod.yaml").write_text((PROJECT_ROOT / "grants" / "nonprod.yaml").read_text())
    result = run_program(tmp_path, "nonprod")
    assert result.error is not None
    assert "Pulumi.nonprod.yaml:12: field 'cross-account-s3:userAccount.accountId'" in result.error
    assert "the number 12345678901" in result.error


def project_with_stack_file(tmp_path: Path, stack_file: bytes) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((PROJECT_ROOT / name).read_text())
    (tmp_path / "Pulumi.nonprod.yaml").write_bytes(stack_file)
    (tmp_path / "grants").mkdir()
    (tmp_path / "grants" / "nonprod.yaml").write_text((PROJECT_ROOT / "grants" / "nonprod.yaml").read_text())
    return tmp_path


def test_a_stack_file_that_sets_a_key_twice_is_refused_not_read_as_its_last_value(tmp_path: Path) -> None:
    """go-yaml (the Pulumi CLI) refuses a duplicate key; reading the last one would re-point the stack's account."""
    second = b'  cross-account-s3:bucketAccount:\n    accountId: "012345678901"\n    region: us-east-1\n'
    stack_file = (PROJECT_ROOT / "Pulumi.nonprod.yaml").read_bytes() + second
    lines = stack_file.decode().splitlines()
    first, again = (
        index + 1 for index, line in enumerate(lines) if line.startswith("  cross-account-s3:bucketAccount:")
    )
    with pytest.raises(InputProblems) as refused:
        run_program(project_with_stack_file(tmp_path, stack_file), "nonprod")
    message = refused.value.render()
    assert f"Pulumi.nonprod.yaml:{again}: the key 'cross-account-s3:bucketAccount' appears twice" in message
    assert f"(first on line {first})" in message


def test_a_key_merged_in_and_overridden_is_no_duplicate(tmp_path: Path) -> None:
    """YAML merge keys (`<<`) may bring in a key the mapping then overrides; go-yaml accepts that, and so must plan."""
    merges = (
        b"  aws:defaultTags:\n    tags: &tags\n      <<: {team: storage, env: nonprod}\n      env: dev\n"
        b"  other:tags:\n    <<: *tags\n"
    )
    stack_file = (PROJECT_ROOT / "Pulumi.nonprod.yaml").read_bytes() + merges
    result = run_program(project_with_stack_file(tmp_path, stack_file), "nonprod")
    assert result.error is None, result.error


def test_a_yaml_1_1_boolean_key_in_the_stack_file_leaves_its_checks_on(tmp_path: Path) -> None:
    """Pulumi reads a stack file as YAML 1.2, where `on:` is text: it must not switch off the checks of the rest."""
    extra = b"  aws:defaultTags: {tags: {on: call}}\n  cross-acount-s3:groupPrefix: team-\n"
    stack_file = (PROJECT_ROOT / "Pulumi.nonprod.yaml").read_bytes() + extra
    result = run_program(project_with_stack_file(tmp_path, stack_file), "nonprod")
    assert result.error is not None, "a misspelt namespace was accepted"
    assert "'cross-acount-s3' is not this program's namespace" in result.error


def test_a_setting_with_brackets_in_its_name_is_named_at_its_line(tmp_path: Path) -> None:
    extra = b"  cross-account-s3:users[0]: x\n  cross-account-s3:[key]: y\n"
    stack_file = (PROJECT_ROOT / "Pulumi.nonprod.yaml").read_bytes() + extra
    lines = len(stack_file.decode().splitlines())
    result = run_program(project_with_stack_file(tmp_path, stack_file), "nonprod")
    assert result.error is not None
    assert f"Pulumi.nonprod.yaml:{lines - 1}: field 'cross-account-s3:users[0]'" in result.error
    assert f"Pulumi.nonprod.yaml:{lines}: field 'cross-account-s3:[key]'" in result.error


def test_planning_a_stack_whose_stack_file_is_refused_is_a_clean_refusal(tmp_path: Path) -> None:
    """`plan` checks the stack file first; planning a stack (as `plan --diff` does for each side) must refuse it
    as cleanly on its own, not as a crash of the program."""
    second = b'  cross-account-s3:bucketAccount:\n    accountId: "012345678901"\n    region: us-east-1\n'
    stack_file = (PROJECT_ROOT / "Pulumi.nonprod.yaml").read_bytes() + second
    project = project_with_stack_file(tmp_path, stack_file)
    with pytest.raises(PlanRefused) as refused:
        plan_stack(project, "nonprod", str(project / "grants" / "nonprod.yaml"))
    assert str(refused.value).startswith("cross-account-s3 found 1 problem in its input")
    assert "appears twice" in str(refused.value)


@pytest.mark.parametrize(
    ("stack_file", "fragment"),
    [
        (b"config:\n  cross-account-s3:bucketAccount: \xff\n", "Pulumi.nonprod.yaml:2: the file is not UTF-8 text"),
        (b"config: " + b"[" * 3000, "Pulumi.nonprod.yaml: the stack file nests too deeply"),
    ],
)
def test_an_unreadable_stack_file_is_a_problem_not_a_crash(tmp_path: Path, stack_file: bytes, fragment: str) -> None:
    result = CliRunner().invoke(
        main, ["plan"], env={"CROSS_ACCOUNT_S3_PROJECT": str(project_with_stack_file(tmp_path, stack_file))}
    )
    assert result.exit_code == 1, result.output
    assert fragment in result.output
    assert "unexpectedly" not in result.output


def test_a_diff_base_that_looks_like_an_option_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", "--diff", f"--output={tmp_path / 'written'}"])
    assert result.exit_code == 2
    assert "is not a git revision" in result.output
    assert list(tmp_path.iterdir()) == []


def test_json_urns_are_the_ones_pulumi_gives(tmp_path: Path) -> None:
    """Top-level resources have no root-stack type in their type chain; children carry their parent's type."""
    grants = tmp_path / "grants.yaml"
    grants.write_text(
        "grants:\n  - name: reads\n    users: [someone]\n    bucket: some-bucket\n    access: read\n", encoding="utf-8"
    )
    data = json.loads(CliRunner().invoke(main, ["plan", "--grants", str(grants), "--format", "json"]).output)
    urns = {resource["name"]: resource["urn"] for resource in data["resources"]}
    prefix = "urn:pulumi:nonprod::cross-account-s3::"
    assert urns["bucket-account"] == prefix + "pulumi:providers:aws::bucket-account"
    assert urns["bucket-policy-some-bucket"] == prefix + "aws:s3/bucketPolicy:BucketPolicy::bucket-policy-some-bucket"
    assert urns["reads-group"] == prefix + "cross-account-s3:index:BucketGrant$aws:iam/group:Group::reads-group"
    assert not any("pulumi:pulumi:Stack$" in urn for urn in urns.values())


def test_the_bad_input_example_in_the_grants_file_doc_is_what_plan_prints(tmp_path: Path) -> None:
    """docs/grants-file.md shows a bad file and plan's answer to it; the answer must be today's, word for word."""
    doc = (REPO_ROOT / "docs" / "grants-file.md").read_text(encoding="utf-8")
    section = doc.split("## Bad input", 1)[1]
    bad_yaml = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    command, _, expected = shown.partition("\n")
    assert command == "$ ./run plan --grants /tmp/demo/bad.yaml"
    (tmp_path / "bad.yaml").write_text(bad_yaml, encoding="utf-8")
    result = plan("--grants", str(tmp_path / "bad.yaml"))
    assert result.exit_code == 1
    assert result.stderr.replace(str(tmp_path), "/tmp/demo") == expected


def test_the_sample_plan_in_the_plan_doc_is_what_plan_prints() -> None:
    """docs/plan.md shows `./run plan` on the sample nonprod stack (the fixture project holds the same)."""
    doc = (REPO_ROOT / "docs" / "plan.md").read_text(encoding="utf-8")
    shown = doc.split("```text\n", 1)[1].split("```", 1)[0]
    result = plan()
    assert result.exit_code == 0, result.output
    assert result.stdout == shown


@pytest.mark.parametrize("option", ["--grants", "--diff"])
def test_a_name_too_long_for_the_system_is_a_clean_refusal(option: str) -> None:
    result = CliRunner().invoke(main, ["plan", option, "a" * 300])
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "arguments", [["plan"], ["plan", "--diff", str(PROJECT_ROOT / "grants" / "nonprod.yaml")], ["schema"]]
)
def test_a_run_stopped_with_ctrl_c_exits_130_not_the_bad_input_code(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """click's own handling printed "Aborted!" and exited 1, which tells a script the grants are bad."""

    def pressed_ctrl_c(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("cross_account_s3.cli.plan_stack", pressed_ctrl_c)
    monkeypatch.setattr("cross_account_s3.cli.schema_text", pressed_ctrl_c)
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 130, (result.exit_code, result.output)
    assert "Aborted!" not in result.output and "Traceback" not in result.output
