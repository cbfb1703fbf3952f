"""`plan --diff BASE`: what a grants change does, in a reviewer's words, from a base file or a git revision.

Each case runs the real program twice in-process (base and change) and checks both the sentences a
reviewer reads ("u05 gains read on reports-bucket") and the resource and statement changes under them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cross_account_s3.cli import PROJECT_ENV, main
from cross_account_s3.review.diff import AccessChange, AccessEntry, statement_changes
from cross_account_s3.review.render import describe_access_change, field_changes
from tests.conftest import PROJECT_ROOT, REPO_ROOT

READERS = """
    # yaml-language-server: $schema=./schema.json
    grants:
      - name: readers
        users: [u01]
        bucket: reports-bucket
        access: read
"""
WITH_U05_GRANT = (
    READERS
    + """
      - name: u05-reads-reports
        users: [u05]
        bucket: reports-bucket
        access: read
"""
)
U05_ARN = "arn:aws:iam::012345678901:user/u05"


WriteFile = Callable[[str, str], str]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """Write a grants file into the test's directory and return its path."""

    def _write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(path)

    return _write


def diff(base: str, head: str, *options: str) -> Result:
    return CliRunner().invoke(main, ["plan", "--grants", head, "--diff", base, *options])


def access_lines(result: Result) -> list[str]:
    lines = result.stdout.splitlines()
    start = lines.index("Access:") + 1
    end = lines.index("", start)
    return [line.strip() for line in lines[start:end]]


def test_adding_a_grant(write: WriteFile) -> None:
    result = diff(write("base.yaml", READERS), write("head.yaml", WITH_U05_GRANT))
    assert result.exit_code == 0, result.output
    assert access_lines(result) == ["+ u05 gains read on reports-bucket"]
    out = result.stdout
    for added in (
        "u05-reads-reports",
        "u05-reads-reports-group",
        "u05-reads-reports-policy",
        "u05-reads-reports-members",
    ):
        assert any(line.split()[:1] == ["+"] and line.split()[-1] == added for line in out.splitlines()), added
    # The bucket's one policy changes: the same permissions, now also for u05.
    assert "~ aws:s3/bucketPolicy:BucketPolicy" in out and "bucket-policy-reports-bucket" in out
    assert f"Principal: + {U05_ARN}" in out
    assert out.rstrip().splitlines()[-1] == "Changes: 4 to add, 1 to change, 0 to remove; 1 access change"


def test_removing_a_grant(write: WriteFile) -> None:
    result = diff(write("base.yaml", WITH_U05_GRANT), write("head.yaml", READERS))
    assert result.exit_code == 0, result.output
    assert access_lines(result) == ["- u05 loses read on reports-bucket"]
    assert "  - cross-account-s3:index:BucketGrant" in result.stdout
    assert f"Principal: - {U05_ARN}" in result.stdout
    assert result.stdout.rstrip().endswith("0 to add, 1 to change, 4 to remove; 1 access change")


def test_changing_a_level(write: WriteFile) -> None:
    base = write("base.yaml", READERS.replace("access: read", "access: read\n        prefixes: [a/]"))
    head = write("head.yaml", READERS.replace("access: read", "access: read-write\n        prefixes: [a/]"))
    result = diff(base, head)
    assert result.exit_code == 0, result.output
    assert access_lines(result) == ["~ u01: read -> read-write on reports-bucket (prefixes: a/)"]
    out = result.stdout
    # The group policy's object statement keeps its Sid and gains the write actions.
    assert "~ statement ObjectAccess:" in out
    assert "Action: + s3:PutObject" in out and "Action: + s3:AbortMultipartUpload" in out
    # The bucket policy's object statement is named by what it allows, so it is replaced: one out, one in.
    bucket_section = out[out.index("bucket-policy-reports-bucket") :]
    assert (
        "- statement CrossAccountS3Objects" in bucket_section and "+ statement CrossAccountS3Objects" in bucket_section
    )
    assert "s3:PutObject on arn:aws:s3:::reports-bucket/a/*" in bucket_section
    assert "Changes: 0 to add, 2 to change, 0 to remove" in out


def test_narrowing_to_a_prefix_shows_both_sides(write: WriteFile) -> None:
    head = write("head.yaml", READERS.replace("access: read", "access: read\n        prefixes: [a/]"))
    result = diff(write("base.yaml", READERS), head)
    assert access_lines(result) == ["~ u01: read (whole bucket) -> read (prefixes: a/) on reports-bucket"]


def test_adding_a_user(write: WriteFile) -> None:
    result = diff(write("base.yaml", READERS), write("head.yaml", READERS.replace("[u01]", "[u01, u05]")))
    assert result.exit_code == 0, result.output
    assert access_lines(result) == ["+ u05 gains read on reports-bucket"]
    out = result.stdout
    assert "~ aws:iam/groupMembership:GroupMembership  readers-members" in out
    assert "users: + u05" in out
    # The bucket statements keep their Sids (they are named by permission, not by who), and gain u05.
    assert "+ statement" not in out and "- statement" not in out
    assert out.count(f"Principal: + {U05_ARN}") == 1  # the one statement of listing and objects
    assert out.rstrip().splitlines()[-1] == "Changes: 0 to add, 2 to change, 0 to remove; 1 access change"


def test_no_change_prints_no_changes(write: WriteFile) -> None:
    reordered = textwrap.dedent(WITH_U05_GRANT).split("  - name: ")
    swapped = reordered[0] + "  - name: " + reordered[2].rstrip() + "\n  - name: " + reordered[1]
    result = diff(write("base.yaml", WITH_U05_GRANT), write("head.yaml", swapped))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "no changes"


def test_reordered_buckets_and_prefixes_are_no_changes(write: WriteFile) -> None:
    grant = "grants:\n  - name: g\n    users: [u01]\n    access: read\n"
    base = grant + "    buckets: [reports-bucket, other-bucket]\n    prefixes: [team-z/, team-a/]\n"
    head = grant + "    buckets: [other-bucket, reports-bucket]\n    prefixes: [team-a/, team-z/]\n"
    result = diff(write("base.yaml", base), write("head.yaml", head))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "no changes"


def test_json_diff_has_the_same_content(write: WriteFile) -> None:
    result = diff(write("base.yaml", READERS), write("head.yaml", WITH_U05_GRANT), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["changes"] is True
    assert [change["summary"] for change in data["access"]] == ["u05 gains read on reports-bucket"]
    assert data["access"][0]["after"] == [{"access": "read", "prefixes": []}]
    assert data["summary"] == {"add": 4, "change": 1, "remove": 0, "access": 1, "settings": 0}
    (bucket_policy,) = [change for change in data["resources"] if change["name"] == "bucket-policy-reports-bucket"]
    assert bucket_policy["kind"] == "change" and {s["kind"] for s in bucket_policy["statements"]} == {"change"}


def test_json_diff_of_no_change(write: WriteFile) -> None:
    path = write("same.yaml", READERS)
    data = json.loads(diff(path, path, "--format", "json").stdout)
    assert data["changes"] is False and data["access"] == [] and data["resources"] == []


def test_an_invalid_base_says_it_is_the_base(write: WriteFile) -> None:
    result = diff(write("base.yaml", READERS.replace("access: read", "access: admin")), write("head.yaml", READERS))
    assert result.exit_code == 1
    assert result.stderr.startswith("the base grants (")
    assert "cross-account-s3 found 1 problem" in result.stderr and "Traceback" not in result.output


def test_an_invalid_change_is_refused_before_the_base_is_read(write: WriteFile) -> None:
    invalid_base = write("base.yaml", READERS.replace("access: read", "access: admin"))
    result = diff(invalid_base, write("head.yaml", READERS.replace("[u01]", "[]")))
    assert result.exit_code == 1
    assert result.stderr.startswith("cross-account-s3 found") and "the base" not in result.stderr


def _git(repo: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project under git whose first commit holds READERS as the nonprod stack's grants file."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT, project)
    (project / "grants" / "nonprod.yaml").write_text(textwrap.dedent(READERS), encoding="utf-8")
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "base")
    monkeypatch.setenv(PROJECT_ENV, str(project))
    return project


def test_a_git_revision_as_base(repo: Path) -> None:
    head = repo / "grants" / "nonprod.yaml"
    head.write_text(textwrap.dedent(WITH_U05_GRANT), encoding="utf-8")
    result = diff("HEAD", str(head))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Plan diff for stack nonprod: HEAD:grants/nonprod.yaml")
    assert access_lines(result) == ["+ u05 gains read on reports-bucket"]
    _git(repo, "commit", "-q", "-am", "add u05")
    unchanged = diff("HEAD", str(head))
    assert unchanged.exit_code == 0 and unchanged.stdout.splitlines()[-1] == "no changes"
    assert access_lines(diff("HEAD~1", str(head))) == ["+ u05 gains read on reports-bucket"]


def test_a_draft_outside_the_repository_is_compared_with_the_stacks_grants_at_the_revision(
    repo: Path, tmp_path: Path
) -> None:
    draft = tmp_path / "elsewhere" / "draft.yaml"
    draft.parent.mkdir()
    draft.write_text(textwrap.dedent(WITH_U05_GRANT), encoding="utf-8")
    result = diff("HEAD", str(draft))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Plan diff for stack nonprod: HEAD:grants/nonprod.yaml")
    assert access_lines(result) == ["+ u05 gains read on reports-bucket"]


def test_a_revision_without_the_stacks_grants_file_is_compared_as_empty_with_a_warning(repo: Path) -> None:
    _git(repo, "rm", "-q", "grants/nonprod.yaml")
    _git(repo, "commit", "-q", "-m", "no grants yet")
    (repo / "grants" / "nonprod.yaml").write_text(textwrap.dedent(READERS), encoding="utf-8")
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2].startswith("warning: the base cannot be planned by this version")
    assert "cannot read the base grants file" in result.stdout and "at 'HEAD'" in result.stdout
    assert "+ u01 gains read on reports-bucket" in access_lines(result)
    assert "Traceback" not in result.output


def test_an_unknown_revision_is_a_usage_error_that_says_how_to_fetch_it(repo: Path) -> None:
    """A typo in BASE, or a branch not fetched, is a mistake on the command line (exit 2), not bad grants (1)."""
    head = str(repo / "grants" / "nonprod.yaml")
    _git(repo, "remote", "add", "origin", str(repo))  # never fetched: origin/main is unknown here
    not_fetched = diff("origin/main", head)
    assert not_fetched.exit_code == 2, not_fetched.output
    assert "Invalid value for '--diff': 'origin/main' is neither a grants file nor a git revision" in not_fetched.stderr
    assert "git fetch origin main" in not_fetched.stderr and "fetch-depth: 0" in not_fetched.stderr
    misspelt = diff("orgin/main", head)
    assert misspelt.exit_code == 2
    assert "there is no remote 'orgin' (the remotes are: origin); did you mean --diff origin/main?" in misspelt.stderr
    for result in (not_fetched, misspelt, diff("no-such-branch", head, "--format", "json")):
        assert result.exit_code == 2 and result.stdout == "" and "Traceback" not in result.output


def test_a_branch_fetched_only_as_a_remotes_branch_is_named_with_its_remote(repo: Path) -> None:
    """`--diff fix-kms-names` with only origin/fix-kms-names here: fetching again would not help; naming it does."""
    _git(repo, "update-ref", "refs/remotes/origin/fix-kms-names", "HEAD")
    _git(repo, "remote", "add", "origin", str(repo))
    result = diff("fix-kms-names", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 2, result.output
    assert "--diff origin/fix-kms-names" in result.stderr and "git fetch" not in result.stderr
    assert diff("origin/fix-kms-names", str(repo / "grants" / "nonprod.yaml")).exit_code == 0


def test_a_remotes_branch_in_a_clone_without_remotes_says_there_is_no_such_remote(repo: Path) -> None:
    result = diff("origin/main", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 2, result.output
    assert "there is no remote named 'origin'" in result.stderr and "has no remotes" in result.stderr
    assert "git fetch origin origin/main" not in result.stderr and "Traceback" not in result.output


def test_a_revision_outside_a_git_repository_is_a_usage_error(write: WriteFile) -> None:
    result = diff("HEAD", write("head.yaml", READERS))  # the fixture project is no git repository
    assert result.exit_code == 2
    assert "is not in a git repository" in result.stderr and "give --diff a grants file" in result.stderr


def test_a_missing_base_file_is_a_usage_error_not_a_revision(write: WriteFile) -> None:
    result = diff("no-such-base.yaml", write("head.yaml", READERS))
    assert result.exit_code == 2
    assert "no such grants file: no-such-base.yaml" in result.stderr


def test_an_invalid_base_at_a_revision_is_compared_as_empty_naming_the_revision(repo: Path) -> None:
    grants = repo / "grants" / "nonprod.yaml"
    grants.write_text(textwrap.dedent(READERS.replace("[u01]", "[bad user]")), encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "broken")
    grants.write_text(textwrap.dedent(READERS), encoding="utf-8")
    result = diff("HEAD", str(grants))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2] == (
        "warning: the base cannot be planned by this version of the program, so it is compared as empty and "
        "everything the stack would create shows as added; its problems:"
    )
    assert lines[3] == "  the base (HEAD:grants/nonprod.yaml, with HEAD:Pulumi.nonprod.yaml) cannot be planned:"
    assert "  - HEAD:grants/nonprod.yaml:5: " in result.stdout  # problems point at the revision, not a temporary copy


def test_a_base_refused_by_a_newer_check_does_not_lock_out_the_change_that_fixes_it(repo: Path) -> None:
    """Today's program refuses the base (as it refuses the same statement at HEAD): CI must still pass the fix."""
    grants = repo / "grants" / "nonprod.yaml"
    deny = textwrap.dedent(READERS) + textwrap.dedent(DENY_INSECURE)
    grants.write_text(deny.replace("{Bool:", "{bool:"), encoding="utf-8")
    refused_today = CliRunner().invoke(main, ["plan"])
    assert refused_today.exit_code == 1 and "bool" in refused_today.stderr
    _git(repo, "commit", "-q", "-am", "a Deny with the operator written bool")
    grants.write_text(deny, encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "fix: Bool")
    result = CliRunner().invoke(main, ["plan", "--diff", "HEAD~1"])
    assert result.exit_code == 0, result.output
    assert "warning: the base cannot be planned by this version of the program" in result.stdout
    assert "  - HEAD~1:grants/nonprod.yaml:" in result.stdout and "bool" in result.stdout
    assert "+ u01 gains read on reports-bucket" in access_lines(result)
    as_json = CliRunner().invoke(main, ["plan", "--diff", "HEAD~1", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    found = json.loads(as_json.stdout)
    assert found["baseCannotBePlanned"] is True and "HEAD~1:grants/nonprod.yaml:" in found["baseProblems"]
    # A change that is itself invalid still fails, whatever the base.
    grants.write_text(deny.replace("{Bool:", "{bool:"), encoding="utf-8")
    invalid_head = CliRunner().invoke(main, ["plan", "--diff", "HEAD~1"])
    assert invalid_head.exit_code == 1 and invalid_head.stdout == ""


# The stack file at the revision: accounts, group prefix, profiles and regions are part of what a change does.

OTHER_USERS = "210987654321"


def _edit_stack_file(repo: Path, old: str, new: str) -> None:
    stack_file = repo / "Pulumi.nonprod.yaml"
    text = stack_file.read_text(encoding="utf-8")
    assert old in text
    stack_file.write_text(text.replace(old, new), encoding="utf-8")


def test_a_changed_user_account_in_the_stack_file_shows_in_the_diff(repo: Path) -> None:
    """Every bucket policy now names another account's users: the review must show it, not 'no changes'."""
    _edit_stack_file(repo, 'accountId: "012345678901"', f'accountId: "{OTHER_USERS}"')
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert "no changes" not in result.stdout
    assert f"Principal: + arn:aws:iam::{OTHER_USERS}:user/u01" in result.stdout
    assert "Principal: - arn:aws:iam::012345678901:user/u01" in result.stdout
    assert f"allowedAccountIds: + {OTHER_USERS}" in result.stdout  # the user account's provider is re-pinned
    data = json.loads(diff("HEAD", str(repo / "grants" / "nonprod.yaml"), "--format", "json").stdout)
    assert data["changes"] is True
    assert {change["name"] for change in data["resources"]} >= {"user-account", "bucket-policy-reports-bucket"}


def test_a_changed_user_account_is_said_in_words_and_moves_everyones_access(repo: Path) -> None:
    """The cause in words (the setting), and its effect on access: the same name in another account is
    another principal, so u01 of the old account loses read and u01 of the new one gains it."""
    _edit_stack_file(repo, 'accountId: "012345678901"', f'accountId: "{OTHER_USERS}"')
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "stack file: HEAD:Pulumi.nonprod.yaml -> Pulumi.nonprod.yaml"
    settings = lines[lines.index("Stack settings:") + 1 : lines.index("Access:") - 1]
    assert settings == [f"  ~ stack setting cross-account-s3:userAccount.accountId: 012345678901 -> {OTHER_USERS}"]
    assert access_lines(result) == [
        "- u01 in account 012345678901 loses read on reports-bucket",
        f"+ u01 in account {OTHER_USERS} gains read on reports-bucket",
    ]
    assert lines[-1].endswith("; 2 access changes; 1 stack setting changed")
    data = json.loads(diff("HEAD", str(repo / "grants" / "nonprod.yaml"), "--format", "json").stdout)
    assert data["stackFile"] == {"base": "HEAD:Pulumi.nonprod.yaml", "head": "Pulumi.nonprod.yaml", "note": None}
    (setting,) = data["settings"]
    assert setting["key"] == "cross-account-s3:userAccount.accountId" and setting["kind"] == "change"
    assert (setting["before"], setting["after"]) == ("012345678901", OTHER_USERS)
    assert [change["userAccount"] for change in data["access"]] == ["012345678901", OTHER_USERS]
    assert data["summary"]["settings"] == 1


def test_a_changed_bucket_account_names_the_buckets_account_in_the_access_lines(repo: Path) -> None:
    _edit_stack_file(repo, 'accountId: "123456789012"', 'accountId: "999988887777"')
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert access_lines(result) == [
        "- u01 loses read on reports-bucket in account 123456789012",
        "+ u01 gains read on reports-bucket in account 999988887777",
    ]
    assert "  ~ stack setting cross-account-s3:bucketAccount.accountId: 123456789012 -> 999988887777" in result.stdout


def test_a_changed_group_prefix_renames_the_groups_in_the_diff(repo: Path) -> None:
    _edit_stack_file(repo, "config:\n", "config:\n  cross-account-s3:groupPrefix: team-\n")
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert "name: cross-account-s3-readers -> team-readers" in result.stdout
    assert "  + stack setting cross-account-s3:groupPrefix: team-" in result.stdout
    assert "Access:" not in result.stdout  # the same users keep the same access, in renamed groups


def test_a_changed_profile_shows_on_its_provider(repo: Path) -> None:
    _edit_stack_file(repo, "profile: nonprod", "profile: nonprod-admin")
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert "profile: nonprod -> nonprod-admin" in result.stdout
    assert "  ~ stack setting cross-account-s3:bucketAccount.profile: nonprod -> nonprod-admin" in result.stdout


def test_a_removed_setting_says_it_is_no_longer_set(repo: Path) -> None:
    _edit_stack_file(repo, "    profile: build\n", "")
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert "  - stack setting cross-account-s3:userAccount.profile: build (no longer set)" in result.stdout


def test_a_grants_file_as_base_says_both_sides_share_todays_stack_file(repo: Path, write: WriteFile) -> None:
    """A file BASE has no revision to read a stack file at: the reader must not take 'no changes' to cover it."""
    _edit_stack_file(repo, 'accountId: "012345678901"', f'accountId: "{OTHER_USERS}"')
    grants = str(repo / "grants" / "nonprod.yaml")
    result = diff(grants, grants)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "stack file: Pulumi.nonprod.yaml on both sides, as it is now: a grants file as the base compares the grants "
        "only; give --diff a git revision to compare the stack file too",
        "no changes",
    ]
    note = json.loads(diff(grants, grants, "--format", "json").stdout)["stackFile"]["note"]
    assert note.startswith("Pulumi.nonprod.yaml on both sides")


@pytest.mark.parametrize(
    ("valid", "broken", "expected"),
    [
        (
            'accountId: "012345678901"',
            'accountId: "12345"',
            "HEAD:Pulumi.nonprod.yaml:12: field 'cross-account-s3:userA",
        ),
        ("    profile: build", "   profile: [build", "HEAD:Pulumi.nonprod.yaml:14: the stack file is not valid YAML"),
    ],
)
def test_a_stack_file_invalid_at_the_revision_is_a_warning_naming_the_revision(
    repo: Path, valid: str, broken: str, expected: str
) -> None:
    _edit_stack_file(repo, valid, broken)
    _git(repo, "commit", "-q", "-am", "a broken stack file")
    _edit_stack_file(repo, broken, valid)
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(" -> grants/nonprod.yaml")
    assert lines[2].startswith("warning: the base cannot be planned by this version of the program")
    assert "HEAD:Pulumi.nonprod.yaml" in lines[3] and expected in result.stdout
    assert "Traceback" not in result.output and "unexpectedly" not in result.output and "/tmp" not in result.stdout
    as_json = json.loads(diff("HEAD", str(repo / "grants" / "nonprod.yaml"), "--format", "json").stdout)
    assert as_json["baseCannotBePlanned"] is True and expected in as_json["baseProblems"]


@pytest.mark.parametrize(
    ("appended", "expected"),
    [
        (b"# caf\xe9\n", "HEAD:Pulumi.nonprod.yaml: the stack file cannot be read: 'utf-8' codec can't decode"),
        (
            b"  cross-account-s3:userAccount: {}\n",
            "HEAD:Pulumi.nonprod.yaml:15: the key 'cross-account-s3:userAccount'",
        ),
    ],
)
def test_a_stack_file_unreadable_at_the_revision_is_a_warning(repo: Path, appended: bytes, expected: str) -> None:
    stack_file = repo / "Pulumi.nonprod.yaml"
    valid = stack_file.read_bytes()
    stack_file.write_bytes(valid + appended)
    _git(repo, "commit", "-q", "-am", "an unreadable stack file")
    stack_file.write_bytes(valid)
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert "\n  the base stack file (HEAD:Pulumi.nonprod.yaml) cannot be planned:\n" in result.stdout
    assert expected in result.stdout and "Traceback" not in result.output


def test_the_stack_file_examples_in_the_plan_doc_are_what_plan_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/plan.md shows `plan --diff HEAD` on the sample stack, unchanged and with its user account changed."""
    doc = (REPO_ROOT / "docs" / "plan.md").read_text(encoding="utf-8")
    unchanged_doc, changed_doc = doc.split("and with nothing changed since the base:", 1)[1].split(
        "with the stack file's user account changed", 1
    )
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT, project)
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "base")
    monkeypatch.setenv(PROJECT_ENV, str(project))
    for section, change in ((unchanged_doc, None), (changed_doc, ('"012345678901"', f'"{OTHER_USERS}"'))):
        if change:
            _edit_stack_file(project, *change)
        shown = section.split("```text\n", 1)[1].split("```", 1)[0]
        command, _, expected = shown.partition("\n")
        assert command == "$ ./run plan --diff HEAD"
        result = CliRunner().invoke(main, ["plan", "--diff", "HEAD"])
        assert result.exit_code == 0, result.output
        assert result.stdout == expected


def test_a_revision_without_the_stack_file_is_a_new_stack_everything_is_added(repo: Path) -> None:
    _git(repo, "rm", "-q", "--cached", "Pulumi.nonprod.yaml")
    _git(repo, "commit", "-q", "-m", "no nonprod stack yet")
    result = diff("HEAD", str(repo / "grants" / "nonprod.yaml"))
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.splitlines()[0]
        == "Plan diff for stack nonprod: (no stack nonprod at HEAD) -> grants/nonprod.yaml"
    )
    assert result.stdout.splitlines()[1] == (
        "stack file: HEAD:Pulumi.nonprod.yaml does not exist: the stack is new there, so everything it would "
        "create shows as added"
    )
    assert "  + stack setting cross-account-s3:userAccount.accountId: 012345678901" in result.stdout
    assert "+ u01 gains read on reports-bucket" in access_lines(result)
    assert "0 to change, 0 to remove" in result.stdout


# The pure pieces, on hand-made data.


def test_access_change_sentences() -> None:
    read, write_only = AccessEntry("read", ()), AccessEntry("write", ())
    describe = describe_access_change
    assert describe(AccessChange("test.user", "x", (write_only,), ())) == "test.user loses write on x"
    assert describe(AccessChange("u01", "b", (read,), (read, write_only))) == "u01: read -> read + write on b"
    prefixed = AccessEntry("read", ("a/", "b/"))
    assert describe(AccessChange("u05", "r", (), (prefixed,))) == "u05 gains read on r (prefixes: a/, b/)"


def test_statements_are_matched_by_sid() -> None:
    before = {
        "Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"]}, {"Sid": "B", "Effect": "Deny"}]
    }
    after = {"Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"]}, {"Sid": "C"}]}
    changes = {(change.kind, change.sid) for change in statement_changes(before, after)}
    assert changes == {("change", "A"), ("remove", "B"), ("add", "C")}


def test_field_changes_list_members_and_values() -> None:
    assert field_changes(
        {"Action": "s3:GetObject", "Effect": "Allow", "Principal": {"AWS": ["a"]}},
        {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Deny", "Principal": {"AWS": ["b"]}},
    ) == ["Action: + s3:PutObject", "Effect: Allow -> Deny", "Principal: + b", "Principal: - a"]


def test_a_statement_written_elsewhere_is_an_access_change(write: WriteFile) -> None:
    """extraStatements can grant access outside the levels, so the reviewer sees them under Access too."""
    extra = """
    extraStatements:
      reports-bucket:
        - Sid: VendorReads
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::999988887777:role/vendor-reader"}
          Action: s3:GetObject
          Resource: arn:aws:s3:::reports-bucket/*
    """
    result = diff(write("base.yaml", READERS), write("head.yaml", textwrap.dedent(READERS) + textwrap.dedent(extra)))
    assert result.exit_code == 0, result.output
    (line,) = access_lines(result)
    assert line.startswith("+ reports-bucket keeps a statement written elsewhere, VendorReads: Allow s3:GetObject")
    assert "arn:aws:iam::999988887777:role/vendor-reader" in line
    assert "1 access change" in result.stdout


DENY_INSECURE = """
    extraStatements:
      reports-bucket:
        - Sid: DenyInsecure
          Effect: Deny
          Principal: "*"
          Action: "s3:*"
          Resource: ["arn:aws:s3:::reports-bucket", "arn:aws:s3:::reports-bucket/*"]
          Condition: {Bool: {"aws:SecureTransport": "false"}}
    """


def test_a_kept_deny_is_not_an_access_gain(write: WriteFile) -> None:
    """A Deny written elsewhere only narrows access: keeping it reads as a narrowing, dropping it as an opening."""
    with_deny = write("deny.yaml", textwrap.dedent(READERS) + textwrap.dedent(DENY_INSECURE))
    without = write("plain.yaml", READERS)
    kept = diff(without, with_deny)
    assert kept.exit_code == 0, kept.output
    (line,) = access_lines(kept)
    assert line.startswith("- reports-bucket keeps a statement written elsewhere (it only denies, it grants nothing)")
    assert "gains" not in kept.stdout and not any(entry.startswith("+") for entry in access_lines(kept))
    dropped = diff(with_deny, without)
    (line,) = access_lines(dropped)
    assert line.startswith("+ reports-bucket drops a statement written elsewhere (it denied some access)")
    data = json.loads(diff(without, with_deny, "--format", "json").stdout)
    assert data["access"] == [] and [change["kind"] for change in data["extraStatements"]] == ["add"]


def test_a_grants_file_whose_name_is_not_utf_8_at_the_revision_is_read_as_on_disk(repo: Path) -> None:
    """A file name is bytes; one that is not UTF-8 is read the way the directory on disk reads it."""
    team = repo / "grants" / "team"
    team.mkdir()
    odd = Path(os.fsdecode(bytes(team) + b"/readers-\xff.yaml"))
    odd.write_text(textwrap.dedent(READERS), encoding="utf-8")
    stack_file = repo / "Pulumi.nonprod.yaml"
    stack_file.write_text(
        stack_file.read_text().replace("config:\n", "config:\n  cross-account-s3:grantsFile: grants/team\n", 1)
    )
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "team directory")
    odd.rename(team / "readers.yaml")
    result = diff("HEAD", str(team))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "no changes"
