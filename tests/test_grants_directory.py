"""A grants directory: one file per team, read as if it were one grants file.

The cases run the real program under Pulumi's mock runtime in a throwaway project of their own (the
real `Pulumi.yaml` and `__main__.py`, a test stack, and the directory in tests/fixtures/grants-directory),
so they never depend on the repository's own stacks or grants.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner, Result

from cross_account_s3 import cli
from cross_account_s3.core.grants_directory import conflicting_bucket_entries, grants_files
from cross_account_s3.core.grants_file import SCHEMA_FILE
from cross_account_s3.core.grants_file_check import check_grants_file
from cross_account_s3.core.yaml_source import parse_yaml
from cross_account_s3.infra.offline_runner import ProgramRun, run_program
from cross_account_s3.review.diff import diff_plans
from cross_account_s3.review.render import render_diff_text
from cross_account_s3.review.runner import PlanRefused, grants_at_revision, plan_stack
from tests.fake_aws import FakeWorld

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "grants-directory"
STACK = "teams"
BUCKET_ACCOUNT = "111111111111"
USER_ACCOUNT = "222222222222"
GRANTS_FILE_KEY = "cross-account-s3:grantsFile"
# What each fixture file holds, by path inside the directory: the README is not a grants file.
FIXTURE_GRANTS = {
    "data/analytics.yaml": ["analysts-read-reports", "etl-writes-reports"],
    "data/ml/training.yml": ["trainers-use-datasets"],
    "platform.yaml": ["ci-reads-shared", "deployer-writes-releases"],
    "web/empty.yaml": [],
    "web/frontend.yaml": ["frontend-publishes-assets"],
}

FIXTURE_USERS = ("ci-runner", "deployer", "ana", "bob", "etl", "trainer", "web-deploy")
FIXTURE_BUCKETS = (
    "shared-bucket-20932",
    "release-bucket-20932",
    "reports-bucket-20932",
    "datasets-bucket-20932",
    "assets-bucket-20932",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose stack `teams` reads the grants directory grants/teams (a copy of the fixture)."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copyfile(REPO_ROOT / name, tmp_path / name)
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(
        textwrap.dedent(
            f"""\
            config:
              pulumi:disable-default-providers: [aws]
              cross-account-s3:bucketAccount: {{accountId: "{BUCKET_ACCOUNT}", region: us-east-1, profile: buckets}}
              cross-account-s3:userAccount: {{accountId: "{USER_ACCOUNT}", region: us-east-1, profile: users}}
              cross-account-s3:grantsFile: grants/{STACK}
            """
        ),
        encoding="utf-8",
    )
    shutil.copytree(FIXTURE, tmp_path / "grants" / STACK)
    return tmp_path


def run(project: Path, grants: str | None = None, world: FakeWorld | None = None) -> ProgramRun:
    """The program for the test stack, in the permissive world `plan` uses unless `world` is given."""
    return run_program(project, STACK, config={GRANTS_FILE_KEY: grants} if grants else None, world=world)


def resources(run: ProgramRun) -> str:
    """Everything the run registered and exported, as the bytes a comparison can trust.

    By URN, as a preview compares them: the mock runtime registers a grant's policy and members in
    whichever order their awaited group name resolves, in one run as in another.
    """
    assert run.error is None, run.error
    registered = [
        {"urn": r.urn, "type": r.type, "parent": r.parent, "provider": r.provider, "inputs": dict(r.inputs)}
        for r in sorted(run.registrations, key=lambda r: r.urn)
    ]
    return json.dumps({"registered": registered, "outputs": run.outputs}, indent=1, sort_keys=False, default=str)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")


def fixture_parts() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every grant and extraStatements entry of the fixture directory, as plain data."""
    grants: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    for path in grants_files(FIXTURE, "fixture"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        grants += data.get("grants", [])
        extra.update(data.get("extraStatements", {}))
    return grants, extra


def grant_names(run: ProgramRun) -> list[str]:
    assert run.error is None, run.error
    return sorted(run.outputs["grants"])


def refusal(run: ProgramRun) -> str:
    """The program's clean refusal; fails the test when the run went through or registered anything."""
    assert run.error is not None, "the program accepted the grants"
    assert not [r for r in run.registrations if r.type.startswith("aws:")], "something was registered"
    assert "Traceback" not in run.error
    return run.error


# Which files are read.


def test_every_yaml_and_yml_file_at_any_depth_is_read_in_path_order_and_nothing_else() -> None:
    assert [path.relative_to(FIXTURE).as_posix() for path in grants_files(FIXTURE, "fixture")] == list(FIXTURE_GRANTS)


def test_several_files_nested_folders_an_empty_file_and_a_readme_make_one_stack(project: Path) -> None:
    assert grant_names(run(project)) == sorted(name for names in FIXTURE_GRANTS.values() for name in names)


def test_hidden_files_other_files_and_links_are_not_grants(project: Path) -> None:
    before = grant_names(run(project))
    bad = "grants: [not a grant]\n"
    write(project / "grants" / STACK, {".draft.yaml": bad, ".backup/old.yaml": bad, "web/notes.txt": bad})
    (project / "grants" / STACK / "linked.yaml").symlink_to(project / "grants" / STACK / "platform.yaml")
    (project / "grants" / STACK / "linked").symlink_to(project / "grants" / STACK / "web", target_is_directory=True)
    assert grant_names(run(project)) == before


def test_an_upper_case_suffix_is_still_a_grants_file(project: Path) -> None:
    grant = "grants:\n  - {name: legacy-reads, users: [old], bucket: shared-bucket-20932, access: read}\n"
    write(project / "grants" / STACK, {"web/LEGACY.YML": grant})
    assert "legacy-reads" in grant_names(run(project))


def test_a_folder_that_cannot_be_read_is_a_problem_not_a_gap(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests run as any user, even root, who reads every folder; so the walk is told the folder failed."""
    real_walk = os.walk

    def walk_failing_in_web(
        top: Path, onerror: Callable[[OSError], None]
    ) -> Iterator[tuple[str, list[str], list[str]]]:
        failed = project / "grants" / STACK / "web"
        onerror(PermissionError(13, "Permission denied", str(failed)))
        yield from real_walk(top, onerror=onerror)

    monkeypatch.setattr(os, "walk", walk_failing_in_web)
    error = refusal(run(project))
    assert f"grants/{STACK}/web: the folder cannot be read: Permission denied" in error


def test_an_unreadable_folder_is_reported_beside_the_problems_of_the_files_that_can_be_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """grants-directory.md: all problems in all files are reported together, an unreadable folder's too."""
    write(
        project / "grants" / STACK,
        {"data/typo.yaml": "grants:\n  - {name: t, users: [u], bucket: shared-bucket-20932, acces: read}\n"},
    )
    real_walk = os.walk

    def walk_failing_in_web(
        top: Path, onerror: Callable[[OSError], None]
    ) -> Iterator[tuple[str, list[str], list[str]]]:
        onerror(PermissionError(13, "Permission denied", str(project / "grants" / STACK / "web")))
        for folder, subfolders, names in real_walk(top, onerror=onerror):
            subfolders[:] = [name for name in subfolders if name != "web"]  # as if it could not be listed
            yield folder, subfolders, names

    monkeypatch.setattr(os, "walk", walk_failing_in_web)
    error = refusal(run(project))
    assert f"grants/{STACK}/web: the folder cannot be read: Permission denied" in error
    assert f"grants/{STACK}/data/typo.yaml:2: grant 't'" in error and "acces" in error


# The result does not depend on how the grants are spread over files.


def test_the_same_grants_in_one_file_give_byte_identical_resources(project: Path) -> None:
    grants, extra = fixture_parts()
    write(project, {"one.yaml": yaml.safe_dump({"grants": grants, "extraStatements": extra}, sort_keys=False)})
    from_directory = resources(run(project))
    from_one_file = resources(run(project, "one.yaml"))
    assert from_directory == from_one_file
    assert '"aws:s3/bucketPolicy:BucketPolicy"' in from_directory  # the comparison saw real resources


def test_five_files_in_another_order_give_byte_identical_resources(project: Path) -> None:
    grants, extra = fixture_parts()
    grants.reverse()
    split = {f"split/{chr(ord('e') - index)}/part.yaml": {"grants": grants[index::5]} for index in range(5)}
    split["split/z-extra.yaml"] = {"grants": [], "extraStatements": extra}
    write(project, {name: yaml.safe_dump(data, sort_keys=False) for name, data in split.items()})
    assert resources(run(project, "split")) == resources(run(project))


# Checks across files, each naming its files and lines.


def test_a_grant_name_used_in_two_files_names_both_places(project: Path) -> None:
    write(
        project / "grants" / STACK,
        {
            "web/copy.yaml": "grants:\n  - name: ci-reads-shared\n    users: [x]\n    bucket: b-20932\n"
            "    access: read\n"
        },
    )
    error = refusal(run(project))
    assert (
        f"grants/{STACK}/web/copy.yaml:2: grant 'ci-reads-shared', field 'name': the grant name is already used on "
        f"grants/{STACK}/platform.yaml:4" in error
    )


def test_problems_in_several_files_are_reported_together_each_with_its_file_and_line(project: Path) -> None:
    write(
        project / "grants" / STACK,
        {
            "data/ml/training.yml": "grants:\n  - name: trainers\n    users: ['bad user']\n    bucket: b-20932\n"
            "    access: read\n",
            "web/frontend.yaml": "grants:\n  - name: web\n    users: [w]\n    bucket: b-20932\n    access: lots\n",
            "web/broken.yaml": "grants: [\n",
            "web/twice.yaml": "grants:\n  - name: twice\n    users: [w]\n    users: [v]\n    bucket: b-20932\n"
            "    access: read\n    1: x\n",
        },
    )
    error = refusal(run(project))
    assert f"grants/{STACK}/data/ml/training.yml:3: grant 'trainers', field 'users[0]'" in error
    assert f"grants/{STACK}/web/frontend.yaml:5: grant 'web', field 'access'" in error
    assert f"grants/{STACK}/web/broken.yaml:2: this is not valid YAML" in error
    # Found before the file is built, and still named by grant and field.
    assert f"grants/{STACK}/web/twice.yaml:4: grant 'twice', field 'users': the key 'users' appears twice" in error
    assert f"grants/{STACK}/web/twice.yaml:7: grant 'twice': the key '1' is read by YAML as a number" in error
    # The file is still validated as if the key were quoted, so what else is wrong is said too.
    assert f"grants/{STACK}/web/twice.yaml:7: grant 'twice', field '1': is not a field this program knows" in error
    assert error.startswith("cross-account-s3 found 6 problems")


STATEMENT = """\
extraStatements:
  shared-bucket-20932:
    - Sid: StorageTeamTlsOnly
      Effect: Deny
      Principal: "*"
      Action: %s
      Resource: arn:aws:s3:::shared-bucket-20932/*
      Condition: { Bool: { aws:SecureTransport: "false" } }
"""


def test_a_bucket_entry_set_differently_in_two_files_names_both(project: Path) -> None:
    write(project / "grants" / STACK, {"web/audit.yaml": "grants: []\n" + STATEMENT % "s3:PutObject"})
    error = refusal(run(project))
    assert (
        f"grants/{STACK}/web/audit.yaml:3: field 'extraStatements.shared-bucket-20932': "
        f"grants/{STACK}/platform.yaml:14 sets this to a different value" in error
    )
    assert (
        f"set it in one of the two files only, or give it the same value in both (grants/{STACK}/platform.yaml" in error
    )
    assert error.startswith("cross-account-s3 found 1 problem")


def test_the_same_bucket_entry_in_two_files_is_taken_once(project: Path) -> None:
    before = resources(run(project))
    write(project / "grants" / STACK, {"web/audit.yaml": "grants: []\n" + STATEMENT % "s3:GetObject"})
    assert resources(run(project)) == before
    policy = json.loads(run(project).by_name("bucket-policy-shared-bucket-20932").inputs["policy"])
    assert [s.get("Sid") for s in policy["Statement"]].count("StorageTeamTlsOnly") == 1


REGION = "bucketSettings:\n  %s:\n    region: %s\n"


def test_the_same_statement_with_its_keys_in_another_order_is_a_conflict(project: Path) -> None:
    """Kept statements are copied verbatim: the policy's bytes would depend on which file was read."""
    reordered = STATEMENT.replace("      Effect: Deny\n", "").replace(
        "      Condition:", "      Effect: Deny\n      Condition:"
    )
    write(project / "grants" / STACK, {"web/audit.yaml": "grants: []\n" + reordered % "s3:GetObject"})
    assert "sets this to a different value" in refusal(run(project))


def test_a_bucket_setting_may_sit_in_another_file_than_the_buckets_grants(project: Path) -> None:
    write(
        project / "grants" / STACK, {"storage.yaml": "grants: []\n" + REGION % ("datasets-bucket-20932", "eu-west-1")}
    )
    policy = run(project).by_name("bucket-policy-datasets-bucket-20932")
    assert policy.inputs.get("region") == "eu-west-1"


def test_a_bucket_setting_no_file_uses_is_refused_in_its_own_file(project: Path) -> None:
    write(project / "grants" / STACK, {"storage.yaml": "grants: []\n" + REGION % ("datasets-bucket-2093", "eu-west-1")})
    error = refusal(run(project))
    assert (
        f"grants/{STACK}/storage.yaml:3: field 'bucketSettings.datasets-bucket-2093': names a bucket that no grant "
        "and no extraStatements entry uses" in error
    )


def test_a_bucket_setting_given_two_values_in_two_files_names_both(project: Path) -> None:
    write(
        project / "grants" / STACK,
        {
            "a/storage.yaml": "grants: []\n" + REGION % ("datasets-bucket-20932", "eu-west-1"),
            "b/storage.yaml": "grants: []\n" + REGION % ("datasets-bucket-20932", "eu-west-2"),
            "c/storage.yaml": "grants: []\n" + REGION % ("datasets-bucket-20932", "eu-west-1"),
        },
    )
    error = refusal(run(project))
    assert error.startswith("cross-account-s3 found 1 problem")
    assert (
        f"grants/{STACK}/b/storage.yaml:4: field 'bucketSettings.datasets-bucket-20932.region': "
        f"grants/{STACK}/a/storage.yaml:4 sets this to a different value" in error
    )


def test_a_bucket_setting_conflicts_key_by_key() -> None:
    """bucketSettings entries are mappings: two files may set different keys of one bucket, not one key twice."""

    def checked(name: str, settings: str) -> Any:
        return check_grants_file(parse_yaml(f"grants: []\nbucketSettings:\n  b-20932:\n{settings}", name), None)

    first = checked("a.yaml", "    region: eu-west-1\n")
    assert conflicting_bucket_entries([first, checked("b.yaml", "    other: 1\n")]) == []
    assert conflicting_bucket_entries([first, checked("b.yaml", "    region: eu-west-1\n")]) == []
    [problem] = conflicting_bucket_entries([first, checked("b.yaml", "    region: us-east-1\n")])
    assert problem.render().splitlines()[0] == (
        "b.yaml:4: field 'bucketSettings.b-20932.region': a.yaml:4 sets this to a different value; a bucket's "
        "setting can have only one value, and the program will not choose between the files"
    )


# Empty files and directories.


def test_an_empty_directory_is_a_clear_problem(project: Path) -> None:
    (project / "grants" / "none").mkdir()
    (project / "grants" / "none" / "README.md").write_text("# no grants yet\n", encoding="utf-8")
    error = refusal(run(project, "grants/none"))
    assert "grants/none: the grants directory holds no grants files (*.yaml or *.yml, at any depth)" in error
    # The folder may come from `grantsFile` or from plan's --grants: the fix fits both.
    assert "add a file such as grants/none/my-team.yaml with a 'grants:' list, or name the folder that holds" in error


def test_a_directory_of_files_without_grants_would_remove_every_grant(project: Path) -> None:
    write(project, {"grants/hollow/a.yaml": "", "grants/hollow/b.yaml": "grants: []\n"})
    error = refusal(run(project, "grants/hollow"))
    assert "grants/hollow: none of the directory's 2 grants files lists a grant, which would remove every" in error


def test_a_file_without_the_grants_key_is_told_to_write_an_empty_list(project: Path) -> None:
    write(project / "grants" / STACK, {"storage.yaml": REGION % ("datasets-bucket-20932", "eu-west-1")})
    error = refusal(run(project))
    assert f"grants/{STACK}/storage.yaml:1: field 'grants': the 'grants:' list is missing" in error
    assert "a file of a grants directory that holds no grants writes 'grants: []'" in error


def test_grants_in_an_unreadable_file_are_not_called_missing(project: Path) -> None:
    write(project, {"grants/broken/a.yaml": "", "grants/broken/b.yaml": "grants:\n  - name: [\n"})
    error = refusal(run(project, "grants/broken"))
    assert "grants/broken/b.yaml:3: this is not valid YAML" in error
    assert "would remove every grant" not in error


def test_a_single_empty_file_is_still_refused(project: Path) -> None:
    write(project, {"empty.yaml": "# nothing\n"})
    assert "must be a mapping with a 'grants:' list" in refusal(run(project, "empty.yaml"))


# Problems about a bucket point at the file a team would edit.


def test_a_foreign_statement_is_reported_in_the_file_of_the_buckets_grants(project: Path) -> None:
    world = FakeWorld()
    world.account(USER_ACCOUNT).users.update({user: "/" for user in FIXTURE_USERS})
    world.account(BUCKET_ACCOUNT).buckets.update({bucket: None for bucket in FIXTURE_BUCKETS})
    foreign = {"Sid": "ByHand", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"}}
    foreign |= {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::assets-bucket-20932/*"}
    world.account(BUCKET_ACCOUNT).buckets["assets-bucket-20932"] = {"Version": "2012-10-17", "Statement": [foreign]}
    error = refusal(run(project, world=world))
    assert f"grants/{STACK}/web/frontend.yaml:2: field 'extraStatements.assets-bucket-20932'" in error


def test_a_policy_too_large_is_reported_in_the_file_of_the_buckets_first_grant(project: Path) -> None:
    # More users than the physical limit of one bucket policy (about 450 ARNs this short), so too large.
    users = [f"reader{number:03}" for number in range(600)]
    grant = {"name": "a-many-readers", "users": users, "bucket": "shared-bucket-20932", "access": "full"}
    write(project / "grants" / STACK, {"z/big.yaml": yaml.safe_dump({"grants": [grant]}, sort_keys=False)})
    error = refusal(run(project))
    assert f"grants/{STACK}/z/big.yaml:1: grant 'a-many-readers, ci-reads-shared, " in error
    assert "the policy of bucket 'shared-bucket-20932' would be" in error


# plan and plan --diff.


def plan_diff(project: Path, base: str, head: str) -> str:
    return render_diff_text(diff_plans(plan_stack(project, STACK, base), plan_stack(project, STACK, head)))


def test_a_single_file_base_and_a_directory_head_with_the_same_grants_differ_in_nothing(project: Path) -> None:
    grants, extra = fixture_parts()
    write(project, {"one.yaml": yaml.safe_dump({"grants": grants, "extraStatements": extra})})
    assert plan_diff(project, "one.yaml", f"grants/{STACK}").splitlines()[-1] == "no changes"
    assert plan_diff(project, f"grants/{STACK}", "one.yaml").splitlines()[-1] == "no changes"
    write(
        project / "grants" / STACK,
        {"web/more.yaml": "grants:\n  - {name: x, users: [u], bucket: b-20932, access: read}\n"},
    )
    assert "+ u gains read on b-20932" in plan_diff(project, "one.yaml", f"grants/{STACK}")


def _git(repo: Path, *arguments: str) -> None:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments]
    subprocess.run(command, cwd=repo, check=True, capture_output=True)


def test_the_directory_at_a_git_revision_is_a_base(project: Path) -> None:
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "base")
    head = plan_stack(project, STACK, f"grants/{STACK}")
    # Move a team's file and split another: the same grants, so no change.
    (project / "grants" / STACK / "platform.yaml").rename(project / "grants" / STACK / "web" / "platform.yaml")
    label = f"HEAD:grants/{STACK}"
    with grants_at_revision(project, f"grants/{STACK}", "HEAD") as copy:
        base = plan_stack(project, STACK, copy, grants_label=label)
    assert render_diff_text(diff_plans(base, head)).splitlines()[-1] == "no changes"
    # A problem in the base names the revision and the file inside the directory, never a temporary copy.
    write(project / "grants" / STACK, {"web/platform.yaml": "grants: [\n"})
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "broken")
    with grants_at_revision(project, f"grants/{STACK}", "HEAD") as copy, pytest.raises(PlanRefused) as refused:
        plan_stack(project, STACK, copy, grants_label=label)
    assert f"{label}/web/platform.yaml:2: this is not valid YAML" in refused.value.message


def plan_command(project: Path, monkeypatch: pytest.MonkeyPatch, *arguments: str) -> Result:
    """`plan` as a reviewer runs it, for the test project's stack."""
    monkeypatch.setenv(cli.PROJECT_ENV, str(project))
    return CliRunner().invoke(cli.main, ["plan", "--stack", STACK, *arguments])


def test_plan_reads_the_stacks_directory_and_names_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = plan_command(project, monkeypatch, "--format", "json")
    assert result.exit_code == 0, result.output
    planned = json.loads(result.stdout)
    assert planned["grantsFile"] == f"grants/{STACK}"
    assert sorted(planned["grants"]) == sorted(name for names in FIXTURE_GRANTS.values() for name in names)


def test_plan_diff_between_a_single_file_and_a_directory_given_as_paths(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grants, extra = fixture_parts()
    write(project, {"one.yaml": yaml.safe_dump({"grants": grants, "extraStatements": extra})})
    directory = str(project / "grants" / STACK)
    result = plan_command(project, monkeypatch, "--grants", directory, "--diff", str(project / "one.yaml"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "no changes"
    result = plan_command(project, monkeypatch, "--grants", str(project / "one.yaml"), "--diff", directory)
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == "no changes", result.output


def test_moving_the_grants_into_a_directory_is_no_change_against_the_git_base(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration's own pull request: the base revision's stack file named grants/teams.yaml, the change
    names the directory; `plan --diff HEAD` compares what the stack read then with what it reads now."""
    stack_file = project / f"Pulumi.{STACK}.yaml"
    directory_setting = stack_file.read_text(encoding="utf-8")
    stack_file.write_text(directory_setting.replace(f"grants/{STACK}\n", f"grants/{STACK}.yaml\n"), encoding="utf-8")
    grants, extra = fixture_parts()
    write(project, {f"grants/{STACK}.yaml": yaml.safe_dump({"grants": grants, "extraStatements": extra})})
    shutil.move(project / "grants" / STACK, project / "later")
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "one file")
    (project / "grants" / f"{STACK}.yaml").unlink()
    shutil.move(project / "later", project / "grants" / STACK)
    stack_file.write_text(directory_setting, encoding="utf-8")
    result = plan_command(project, monkeypatch, "--diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(f"Plan diff for stack {STACK}: HEAD:grants/{STACK}.yaml")
    assert result.stdout.splitlines()[-1] == "no changes"


# The editor schema and the policy pack.


def test_each_fixture_file_points_its_editor_at_the_schema_and_passes_it() -> None:
    schema = json.loads((REPO_ROOT / SCHEMA_FILE).read_text(encoding="utf-8"))
    for path in grants_files(FIXTURE, "fixture"):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if data is None:
            continue  # an empty file: editors check nothing, and the directory accepts it
        modeline = text.splitlines()[0].removeprefix("# yaml-language-server: $schema=")
        assert (path.parent / modeline).resolve() == (REPO_ROOT / SCHEMA_FILE).resolve(), path
        jsonschema.validate(data, schema)


def test_the_policy_pack_passes_a_directory_run(project: Path) -> None:
    from tests.test_policy_pack import violations

    assert violations(run(project), config={"userAccountId": USER_ACCOUNT}) == []
