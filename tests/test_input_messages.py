"""What a user reads about bad input: YAML's words, never Python's, and a fix that works when followed.

A fix that, followed, gives another invalid value (quoting a list) costs the user a second round; a
message in Python's terms (`datetime.date(2024, 1, 1)`) leaves them to guess what YAML did.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from cross_account_s3.core import inputs, limits
from cross_account_s3.core.grants_file import GRANTS_FILE
from cross_account_s3.core.inputs import load_inputs
from cross_account_s3.core.loaded_grants import validate_grants
from cross_account_s3.core.naming import KnownRegions
from cross_account_s3.core.plan import build_plan
from cross_account_s3.core.problems import InputProblems, Problem
from cross_account_s3.core.settings import NAMESPACE, PER_IDENTITY_SETTINGS, Settings, parse_settings
from cross_account_s3.core.stack_file import config_of, stack_config
from cross_account_s3.core.yaml_source import parse_yaml, read_yaml
from tests.conftest import RunProgram, assert_refused

USER_ACCOUNT = "012345678901"
STACK_FILE = "Pulumi.nonprod.yaml"
ACCOUNTS = """\
cross-account-s3:bucketAccount:
  accountId: "123456789012"
  region: us-east-1
cross-account-s3:userAccount:
  accountId: "012345678901"
  region: us-east-1
"""


def grants_problems(text: str, known_regions: KnownRegions | None = None) -> list[Problem]:
    """Every problem of a grants file; fails the test when the file is accepted."""
    doc = parse_yaml(textwrap.dedent(text), "grants.yaml", rules=GRANTS_FILE)
    with pytest.raises(InputProblems) as refused:
        validate_grants(doc, USER_ACCOUNT, known_regions=known_regions)
    return list(refused.value.problems)


def one_problem(text: str, field: str) -> Problem:
    """The one problem of a grants file at `field` of its grant."""
    found = [problem for problem in grants_problems(text) if problem.field == field]
    assert len(found) == 1, found
    return found[0]


def grant_with(**lines: str) -> str:
    """A grants file with one grant, its lines replaced or added as written (YAML, unquoted)."""
    fields = {"name": "g", "users": "[u01]", "bucket": "reports-bucket", "access": "read", **lines}
    return "grants:\n" + "".join(
        f"{'  - ' if index == 0 else '    '}{key}: {value}\n" for index, (key, value) in enumerate(fields.items())
    )


@pytest.mark.parametrize(
    ("field", "written", "read"),
    [
        ("name", "2024-01-01", "the date 2024-01-01"),
        ("description", "2024-01-01", "the date 2024-01-01"),
        ("bucket", "2024-01-01 10:00:00", "the date and time 2024-01-01 10:00:00"),
        ("description", "2024-01-01T10:00:00Z", "the date and time 2024-01-01 10:00:00+00:00"),
    ],
)
def test_a_date_is_named_as_yaml_read_it_and_quoting_what_was_written_is_the_fix(
    field: str, written: str, read: str
) -> None:
    problem = one_problem(grant_with(**{field: written}), field)
    assert problem.message == f"must be text, but YAML read {read}"
    assert problem.fix == f'put it in quotes ("{written}") to keep it as text'
    assert "datetime" not in problem.render()


def test_a_date_in_a_list_of_users_is_named_the_same_way() -> None:
    problem = one_problem(grant_with(users="[2024-01-01]"), "users[0]")
    assert (problem.message, problem.fix) == (
        "must be text, but YAML read the date 2024-01-01",
        'put it in quotes ("2024-01-01") to keep it as text',
    )


def test_quoting_a_number_quotes_it_as_written_not_as_yaml_read_it() -> None:
    problem = one_problem(grant_with(users="[0123]"), "users[0]")
    assert "the number 83" in problem.message and '"0123"' in problem.fix


def test_a_list_for_bucket_is_fixed_with_buckets_not_with_quotes() -> None:
    problem = one_problem(grant_with(bucket="[my-bucket]"), "bucket")
    assert "quotes" not in problem.fix
    assert "'buckets: [my-bucket]'" in problem.fix and "'bucket: my-bucket'" in problem.fix


def test_a_list_inside_the_list_of_users_is_fixed_with_one_flat_list() -> None:
    problem = one_problem(grant_with(users="[[x]]"), "users[0]")
    assert "quotes" not in problem.fix
    assert "list inside the list 'users'" in problem.message and "'users: [x]'" in problem.fix


def test_a_list_for_another_text_field_asks_for_one_value() -> None:
    problem = one_problem(grant_with(description="[reads, reports]"), "description")
    assert "quotes" not in problem.fix and "one value, not a list" in problem.fix


def test_an_empty_value_asks_for_a_value_not_for_quotes() -> None:
    problem = one_problem(grant_with(name=""), "name")
    assert problem.message == "must be text, but YAML read nothing (null)"
    assert problem.fix == "write the value after 'name:'"


def stack_file_text(settings: str, accounts: str = ACCOUNTS) -> str:
    return "config:\n" + textwrap.indent(accounts + textwrap.dedent(settings), "  ")


def read_settings(settings: str, accounts: str = ACCOUNTS) -> Settings:
    """The settings of a stack file, handed over as Pulumi hands them (each value as text), with its lines."""
    text = stack_file_text(settings, accounts)
    raw = {
        key.partition(":")[2]: value for key, value in config_of(text, STACK_FILE).items() if key.startswith(NAMESPACE)
    }
    return parse_settings(raw, "nonprod", parse_yaml(text, STACK_FILE))


def settings_problems(settings: str, accounts: str = ACCOUNTS) -> list[Problem]:
    with pytest.raises(InputProblems) as refused:
        read_settings(settings, accounts)
    return list(refused.value.problems)


def with_user_account_id(written: str) -> str:
    return ACCOUNTS.replace('accountId: "012345678901"', f"accountId: {written}")


@pytest.mark.parametrize("written", ["012345678901", "012345670123", "123456789012"])
def test_an_unquoted_twelve_digit_account_id_is_quoted_back_as_written(written: str) -> None:
    (problem,) = settings_problems("", with_user_account_id(written))
    assert (problem.file, problem.line, problem.field) == (STACK_FILE, 6, "cross-account-s3:userAccount.accountId")
    assert problem.fix == f'write the account ID in quotes: accountId: "{written}"'


@pytest.mark.parametrize("written", ["123", "1234567890", "0123"])
def test_an_unquoted_number_that_is_no_account_id_is_not_padded_with_zeros(written: str) -> None:
    (problem,) = settings_problems("", with_user_account_id(written))
    assert "12-digit account ID" in problem.message and f"number {written}" in problem.message
    assert "000" not in problem.fix and f"replace {written} with the 12-digit ID" in problem.fix


def bucket_in_region(region: str) -> str:
    return grant_with() + f"bucketSettings:\n  reports-bucket:\n    region: {region}\n"


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "ISO"),
        ("us-isob-east-1", "ISO"),
        ("eu-isoe-west-1", "ISO"),
        ("eusc-de-east-1", "aws-eusc"),
    ],
)
def test_a_bucket_region_of_another_partition_is_refused(region: str, partition: str) -> None:
    (problem,) = grants_problems(bucket_in_region(region))
    assert (problem.line, problem.field) == (8, "bucketSettings.reports-bucket.region")
    assert partition in problem.message and "only in the aws partition" in problem.message


def test_an_account_region_of_another_partition_is_refused() -> None:
    (problem,) = settings_problems("", ACCOUNTS.replace("region: us-east-1", "region: us-gov-west-1", 1))
    assert (problem.line, problem.field) == (4, "cross-account-s3:bucketAccount.region")
    assert "aws-us-gov" in problem.message


TEST_REGIONS = KnownRegions(frozenset({"eu-west-1", "us-east-1", "cn-north-1"}), "the test's list")


def test_a_region_aws_does_not_have_is_refused_with_the_closest_one() -> None:
    (problem,) = grants_problems(bucket_in_region("eu-wset-1"), TEST_REGIONS)
    assert problem.field == "bucketSettings.reports-bucket.region"
    assert problem.message == "is 'eu-wset-1', which is not an AWS region: the test's list, which lists AWS's " + (
        "regions, does not list it"
    )
    assert problem.fix.startswith("did you mean 'eu-west-1'?")


def test_a_listed_region_of_another_partition_is_still_refused() -> None:
    (problem,) = grants_problems(bucket_in_region("cn-north-1"), TEST_REGIONS)
    assert "aws-cn" in problem.message


def test_the_program_checks_regions_against_pulumi_aws(run: RunProgram, grants_file) -> None:
    text = (
        "grants:\n  - name: g\n    users: [test.user]\n    buckets: [my-shared-bucket-20932, reports-bucket]\n"
        "    access: read\nbucketSettings:\n  my-shared-bucket-20932: {region: eu-wset-1}\n"
        "  reports-bucket: {region: ap-southeast-7}\n"
    )
    message = assert_refused(run("nonprod", config=grants_file(text)), "'eu-wset-1'", "did you mean 'eu-west-1'?")
    assert "pulumi-aws 7." in message and "ap-southeast-7" not in message


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("s3://b-bucket/uploads/", "uploads/"),
        ("S3://b-bucket/uploads/", "uploads/"),
        ("arn:aws:s3:::b-bucket/uploads/*", "uploads/"),
    ],
)
def test_a_prefix_written_as_an_s3_url_or_arn_is_refused_with_the_key_alone(written: str, key: str) -> None:
    """Accepted, it became arn:aws:s3:::bucket/s3://b-bucket/uploads/*, which matches no key anyone writes."""
    problem = one_problem(grant_with(prefixes=f'["{written}"]'), "prefixes[0]")
    assert f"the prefix '{written}' is an" in problem.message
    assert problem.fix.startswith(f"write the key prefix alone: '{key}'") and "'b-bucket'" in problem.fix


def test_a_prefix_that_is_a_whole_bucket_s_url_asks_to_remove_it() -> None:
    problem = one_problem(grant_with(prefixes='["s3://b-bucket/"]'), "prefixes[0]")
    assert problem.fix.startswith("remove this prefix")


@pytest.mark.parametrize(
    ("written", "fix"),
    [
        ("s3://my-bucket", "write the bucket name alone: 'my-bucket'"),
        ("arn:aws:s3:::my-bucket", "write the bucket name alone: 'my-bucket'"),
        ("s3://my-bucket/reports/", "write the bucket name alone: 'my-bucket'; a grant limited to keys under "),
    ],
)
def test_a_bucket_written_as_an_s3_url_or_arn_gets_its_name_in_the_fix(written: str, fix: str) -> None:
    problem = one_problem(grant_with(bucket=written), "bucket")
    kind = "an S3 URL" if written.startswith("s3") else "an ARN"
    assert problem.message == f"'{written}' is {kind}, not a bucket name"
    assert problem.fix.startswith(fix)


# "naïve" before the bad byte: the column counts characters, as an editor shows them, not bytes.
LATIN_1 = "grants:\n  - name: a\n    description: naïve café\n".encode().replace("é".encode(), b"\xe9")


def test_a_grants_file_that_is_not_utf8_is_refused_at_the_line_and_column_of_its_first_bad_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "grants.yaml"
    path.write_bytes(LATIN_1)
    with pytest.raises(InputProblems) as refused:
        read_yaml(path, "grants/team.yaml", rules=GRANTS_FILE)
    (problem,) = refused.value.problems
    assert (problem.file, problem.line) == ("grants/team.yaml", 3)
    assert "the byte 0xE9 at line 3, column 27 is not valid UTF-8" in problem.message
    assert "position" not in problem.message and "save the file as UTF-8" in problem.fix


def test_a_stack_file_that_is_not_utf8_is_refused_the_same_way(tmp_path: Path) -> None:
    (tmp_path / STACK_FILE).write_bytes(b"config:\n  cross-account-s3:groupPrefix: \xe9quipe-\n")
    with pytest.raises(InputProblems) as refused:
        stack_config(tmp_path, "nonprod")
    (problem,) = refused.value.problems
    assert (problem.file, problem.line) == (STACK_FILE, 2)
    assert "at line 2, column 33" in problem.message


def inputs_problems(tmp_path: Path, settings: str, **handed_over: str) -> list[Problem]:
    """Every problem of a project whose stack file holds `settings` beside the accounts, and whose default
    grants file is valid; `handed_over` replaces what Pulumi hands the program (as `plan` does for grantsFile)."""
    text = stack_file_text(settings)
    (tmp_path / "grants").mkdir(exist_ok=True)
    (tmp_path / "grants" / "nonprod.yaml").write_text(grant_with(), encoding="utf-8")
    raw = {
        key.partition(":")[2]: value for key, value in config_of(text, STACK_FILE).items() if key.startswith(NAMESPACE)
    }
    with pytest.raises(InputProblems) as refused:
        load_inputs(tmp_path, {**raw, **handed_over}, "nonprod", parse_yaml(text, STACK_FILE))
    return list(refused.value.problems)


@pytest.mark.parametrize(("written", "read"), [("[a]", "a list"), ("{a: b}", "a mapping")])
def test_a_grants_file_setting_that_is_no_path_is_one_problem_at_its_line(
    tmp_path: Path, written: str, read: str
) -> None:
    (problem,) = inputs_problems(tmp_path, f"cross-account-s3:grantsFile: {written}\n")
    assert (problem.file, problem.line, problem.field) == (STACK_FILE, 8, "cross-account-s3:grantsFile")
    assert problem.message == f"must be the path of one grants file or directory, but is {read}"


@pytest.mark.parametrize("written", ['""', "''", "' '", ""])
@pytest.mark.parametrize("plan", [False, True])
def test_an_empty_grants_file_setting_is_refused_not_read_as_the_default(
    tmp_path: Path, written: str, plan: bool
) -> None:
    """Pulumi hands "" over and the default file was read without a word; `plan` hands over the file it plans."""
    handed_over = {"grantsFile": "grants/nonprod.yaml"} if plan else {}
    (problem,) = inputs_problems(tmp_path, f"cross-account-s3:grantsFile: {written}\n", **handed_over)
    assert (problem.line, problem.field) == (8, "cross-account-s3:grantsFile")
    assert problem.message.startswith("is empty, so the stack would silently read its default grants file")


def test_a_missing_grants_file_the_stack_file_names_is_located_at_the_setting(tmp_path: Path) -> None:
    (problem,) = inputs_problems(tmp_path, "cross-account-s3:grantsFile: grants/team.yaml\n")
    assert (problem.file, problem.line, problem.field) == (STACK_FILE, 8, "cross-account-s3:grantsFile")
    assert problem.message.startswith("names 'grants/team.yaml', which does not exist")


def test_a_missing_default_grants_file_is_the_file_s_problem_and_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "grants").mkdir()
    text = stack_file_text("")
    with pytest.raises(InputProblems) as refused:
        load_inputs(tmp_path, {}, "nonprod", parse_yaml(text, STACK_FILE))
    missing = [problem for problem in refused.value.problems if problem.file == "grants/nonprod.yaml"]
    assert [problem.message for problem in missing] == ["the file does not exist"]
    assert "cross-account-s3:grantsFile" in missing[0].fix


def test_a_per_user_entry_naming_no_granted_user_is_refused_with_the_closest_one(tmp_path: Path) -> None:
    """It was ignored without a word, turning the groups-per-user guard off for the user it misspelt."""
    (problem,) = inputs_problems(tmp_path, "cross-account-s3:otherGroupsByUser:\n  u001: 10\n")
    assert (problem.file, problem.line, problem.field) == (STACK_FILE, 9, "cross-account-s3:otherGroupsByUser.u001")
    assert problem.message.startswith("names user 'u001', but no grant names that user, so the entry does nothing")
    assert problem.fix.startswith("did you mean 'u01'?")


def test_a_per_role_entry_naming_no_granted_role_is_refused_with_the_closest_one(tmp_path: Path) -> None:
    settings = "cross-account-s3:otherRoleInlinePolicyCharsByRole:\n  deployr: 2500\n"
    (tmp_path / "grants").mkdir()
    text = grant_with(users="[u01]", roles="['arn:aws:iam::012345678901:role/ci/deployer']")
    (tmp_path / "grants" / "team.yaml").write_text(text, encoding="utf-8")
    (problem,) = inputs_problems(tmp_path, settings + "cross-account-s3:grantsFile: grants/team.yaml\n")
    assert problem.field == "cross-account-s3:otherRoleInlinePolicyCharsByRole.deployr"
    assert problem.fix.startswith("did you mean 'deployer'?")


@pytest.mark.parametrize(
    ("settings", "field", "fix"),
    [
        (
            "cross-account-s3:otherGroupsByUser:\n  Deployer: 2\n",
            "cross-account-s3:otherGroupsByUser.Deployer",
            "'Deployer' is a role the grants name, and otherGroupsByUser counts only users: move the entry to "
            "otherRoleInlinePolicyCharsByRole, or remove it",
        ),
        (
            "cross-account-s3:otherRoleInlinePolicyCharsByRole:\n  u01: 2500\n",
            "cross-account-s3:otherRoleInlinePolicyCharsByRole.u01",
            "'u01' is a user the grants name, and otherRoleInlinePolicyCharsByRole counts only roles: move the entry "
            "to otherGroupsByUser, or remove it",
        ),
    ],
)
def test_a_per_identity_entry_naming_a_granted_identity_of_the_other_kind_says_which_setting_takes_it(
    tmp_path: Path, settings: str, field: str, fix: str
) -> None:
    """The fix was "write the user as the grants name it", and the grants name 'deployer' exactly so: as a role."""
    (tmp_path / "grants").mkdir()
    text = grant_with(users="[u01]", roles="['arn:aws:iam::012345678901:role/ci/deployer']")
    (tmp_path / "grants" / "team.yaml").write_text(text, encoding="utf-8")
    (problem,) = inputs_problems(tmp_path, settings + "cross-account-s3:grantsFile: grants/team.yaml\n")
    assert (problem.line, problem.field, problem.fix) == (9, field, fix)


def test_the_per_identity_table_alone_says_which_settings_are_checked_for_unused_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A third per-identity setting is one more row of the table, which says where its values live; the check
    keeps no list of its own beside it to fall out of step (here the new row reads otherGroupsByUser's values)."""
    row = dataclasses.replace(PER_IDENTITY_SETTINGS[0], key="otherGroupsByUserToo")
    monkeypatch.setattr(inputs, "PER_IDENTITY_SETTINGS", (*PER_IDENTITY_SETTINGS, row))
    problems = inputs_problems(tmp_path, "cross-account-s3:otherGroupsByUser:\n  u001: 10\n")
    assert sorted(problem.field or "" for problem in problems) == [
        "cross-account-s3:otherGroupsByUser.u001",
        "cross-account-s3:otherGroupsByUserToo.u001",
    ]
    assert all("counted with otherGroupsPerUser, 0, instead" in problem.message for problem in problems)


def test_a_per_user_entry_may_name_the_user_by_arn_and_by_any_case(tmp_path: Path) -> None:
    settings = "cross-account-s3:otherGroupsByUser:\n  'arn:aws:iam::012345678901:user/u01': 3\n  U02: 1\n"
    text = grant_with(users="[u01, u02]")
    (tmp_path / "grants").mkdir()
    (tmp_path / "grants" / "team.yaml").write_text(text, encoding="utf-8")
    raw = {key.partition(":")[2]: value for key, value in config_of(stack_file_text(settings), STACK_FILE).items()}
    settings_read, _ = load_inputs(
        tmp_path,
        {**raw, "grantsFile": "grants/team.yaml"},
        "nonprod",
        parse_yaml(stack_file_text(settings), STACK_FILE),
    )
    assert settings_read.other_groups_by_user == {"arn:aws:iam::012345678901:user/u01": 3, "U02": 1}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("'arn:aws:iam::999988887777:user/u01'", "is a user of account 999988887777, but this stack's users are in"),
        ("'arn:aws:iam::012345678901:role/u01'", "is not an IAM user ARN"),
        ("'u 01'", "is not a valid IAM user name"),
    ],
)
def test_a_per_user_entry_that_names_no_user_of_the_user_account_is_refused(key: str, message: str) -> None:
    (problem,) = settings_problems(f"cross-account-s3:otherGroupsByUser:\n  {key}: 3\n")
    assert problem.line == 9 and problem.field == f"cross-account-s3:otherGroupsByUser.{key.strip(chr(39))}"
    assert problem.message.startswith(message)


@pytest.mark.parametrize(
    ("setting", "written", "message", "fix"),
    [
        ("otherGroupsByUser", "-1", "is -1, but counts cannot be negative", "use 0 or more"),
        (
            "otherGroupsByUser",
            "'3'",
            "must be a whole number of groups, but is the text '3' (in quotes)",
            "write it without quotes: u02: 3",
        ),
        (
            "otherGroupsByUser",
            "1.5",
            "must be a whole number of groups, but is the number 1.5",
            "write a whole number of groups, such as 'u02: 3'",
        ),
        (
            "otherRoleInlinePolicyCharsByRole",
            "true",
            "must be a whole number of characters, but is the boolean true",
            "write a whole number of characters, such as 'u02: 2500'",
        ),
    ],
)
def test_a_bad_count_of_a_per_identity_setting_is_refused_at_its_own_entry(
    setting: str, written: str, message: str, fix: str
) -> None:
    """Not at the setting's line with 'must map user names to whole numbers', which names neither the entry nor
    what is wrong with it: in a list of fifty users, the one to fix."""
    (problem,) = settings_problems(f"cross-account-s3:{setting}:\n  u01: 3\n  u02: {written}\n")
    assert (problem.line, problem.field) == (10, f"cross-account-s3:{setting}.u02")
    assert (problem.message, problem.fix) == (message, fix)


@pytest.mark.parametrize(
    ("setting", "per_identity"),
    [("otherGroupsPerUser", "otherGroupsByUser"), ("otherRoleInlinePolicyChars", "otherRoleInlinePolicyCharsByRole")],
)
def test_counts_per_identity_under_the_one_count_setting_point_at_the_per_identity_setting(
    setting: str, per_identity: str
) -> None:
    """`otherGroupsPerUser:` with `u01: 3` under it was "must be a whole number, but is '{"u01": 3}'" (Pulumi's
    JSON, which the author never wrote), fixed as "write a whole number, for example 0"."""
    (problem,) = settings_problems(f"cross-account-s3:{setting}:\n  u01: 3\n")
    assert (problem.line, problem.field) == (8, f"cross-account-s3:{setting}")
    assert problem.message == "must be a whole number, but is a mapping"
    assert (
        problem.fix
        == f"to give each {'user' if 'User' in setting else 'role'} its own number, rename it to {per_identity}"
    )


def test_two_per_user_entries_for_one_user_are_refused() -> None:
    settings = "cross-account-s3:otherGroupsByUser:\n  u01: 3\n  'arn:aws:iam::012345678901:user/U01': 4\n"
    (problem,) = settings_problems(settings)
    assert problem.line == 10 and problem.message.startswith("names the same user as 'u01'")


def test_a_per_user_entry_written_as_an_arn_counts_for_that_user() -> None:
    loaded = validate_grants(parse_yaml(grant_with(), "grants.yaml", rules=GRANTS_FILE), USER_ACCOUNT)
    stack = read_settings(f"cross-account-s3:otherGroupsByUser:\n  'arn:aws:iam::{USER_ACCOUNT}:user/u01': 10\n")
    (problem,) = limits.limit_problems(build_plan(loaded, stack), loaded, stack)
    assert "user 'u01' would be in 11 IAM groups (1 from grants g, plus 10 outside this program)" in problem.message


def test_a_date_in_a_stack_file_object_is_handed_over_as_written_not_a_crash() -> None:
    """Handing the object over as JSON failed on the date YAML 1.1 made of it: 'plan failed unexpectedly'."""
    (problem,) = settings_problems("", ACCOUNTS.replace('accountId: "123456789012"', "accountId: 2024-01-01"))
    assert (problem.line, problem.field) == (3, "cross-account-s3:bucketAccount.accountId")
    assert problem.message.startswith("is '2024-01-01', which is not an AWS account ID")
