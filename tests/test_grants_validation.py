"""The grants file's rules, checked by calling the loader directly: no Pulumi program runs.

Each bad file must be refused with one message naming the file, line, grant and field of every
problem, each problem once, with what to do about it. test_bad_input.py proves end to end that the
program refuses such a file with nothing registered.
"""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml

from cross_account_s3.core import yaml_source
from cross_account_s3.core.grants_file import GRANTS_FILE
from cross_account_s3.core.grants_file_check import check_grants_file
from cross_account_s3.core.loaded_grants import merge_grant_files, validate_grants
from cross_account_s3.core.problems import InputProblems
from cross_account_s3.core.settings import parse_settings
from cross_account_s3.core.yaml_source import parse_yaml

USER_ACCOUNT = "012345678901"

GOOD_GRANT = """
  - name: ok-grant
    users: [u01]
    bucket: reports-bucket
    access: read
"""


CASES = {
    "yaml syntax": ("grants:\n  - name: a\n    users: [u01\n", ["grants.yaml:", "not valid YAML"]),
    "unknown key typo": (
        "grants:\n  - name: typo\n    users: [u01]\n    bucekt: reports-bucket\n    access: read\n",
        ["grants.yaml:4:", "grant 'typo'", "field 'bucekt'", "did you mean 'bucket'"],
    ),
    "missing users": (
        "grants:\n  - name: no-users\n    bucket: reports-bucket\n    access: read\n",
        ["grant 'no-users'", "field 'users'", "names nobody", "roles: [<IAM role>, ...]"],
    ),
    "empty users": (
        "grants:\n  - name: empty-users\n    users: []\n    bucket: reports-bucket\n    access: read\n",
        ["grants.yaml:3:", "field 'users'", "'users' and 'roles' are both missing or empty"],
    ),
    "empty name": (
        "grants:\n  - name: ''\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n",
        ["field 'name'", "not a valid grant name"],
    ),
    "duplicate names": ("grants:" + GOOD_GRANT + GOOD_GRANT, ["grants.yaml:7:", "already used on line 2"]),
    "invalid grant name": (
        "grants:\n  - name: Build_Read\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n",
        ["grant 'Build_Read'", "field 'name'", "'build-read'"],
    ),
    "ip-shaped bucket": (
        "grants:\n  - name: ip\n    users: [u01]\n    bucket: 192.168.5.4\n    access: read\n",
        ["grants.yaml:4:", "field 'bucket'", "IP address"],
    ),
    "bad bucket chars": (
        "grants:\n  - name: caps\n    users: [u01]\n    buckets: [ok-bucket, My_Bucket]\n    access: read\n",
        ["field 'buckets[1]'", "lowercase"],
    ),
    "reserved bucket suffix": (
        "grants:\n  - name: alias\n    users: [u01]\n    bucket: data-s3alias\n    access: read\n",
        ["-s3alias"],
    ),
    "malformed user": (
        "grants:\n  - name: spaces\n    users: ['test user', 'jörg']\n    bucket: reports-bucket\n    access: read\n",
        ["field 'users[0]'", "field 'users[1]'", "not a valid IAM user name"],
    ),
    "user arn from another account": (
        "grants:\n  - name: foreign\n    users: ['arn:aws:iam::999988887777:user/u01']\n    bucket: reports-bucket\n"
        "    access: read\n",
        ["field 'users[0]'", "999988887777", "012345678901"],
    ),
    "access and actions": (
        "grants:\n  - name: both\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    actions: [s3:GetObject]\n",
        ["grants.yaml:6:", "both 'access' and 'actions'"],
    ),
    "neither access nor actions": (
        "grants:\n  - name: neither\n    users: [u01]\n    bucket: reports-bucket\n",
        ["neither 'access' nor 'actions'"],
    ),
    "unknown level": (
        "grants:\n  - name: lvl\n    users: [u01]\n    bucket: reports-bucket\n    access: admin\n",
        ["field 'access'", "'read', 'write', 'read-write' or 'full'"],
    ),
    "non-s3 action": (
        "grants:\n  - name: ec2\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['ec2:RunInstances']\n",
        ["field 'actions[0]'", "not an S3 action"],
    ),
    "bare star": (
        "grants:\n  - name: star\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['*']\n",
        ["field 'actions[0]'", "every S3 action"],
    ),
    "s3 star": (
        "grants:\n  - name: star\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:*']\n",
        ["every S3 action"],
    ),
    "admin wildcard": (
        "grants:\n  - name: puts\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:Put*']\n",
        ["s3:PutBucketAcl", "administration"],
    ),
    "bucket-wide actions under prefixes": (
        "grants:\n  - name: gets\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:Get*']\n"
        "    prefixes: [team/]\n",
        ["field 'actions'", "whole bucket", "s3:GetBucketAcl", "s3:GetObject*"],
    ),
    "version deletion": (
        "grants:\n  - name: del\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:DeleteObject*']\n",
        ["field 'actions[0]'", "s3:DeleteObjectVersion", "never grants"],
    ),
    "retention lock": (
        "grants:\n  - name: lock\n    users: [u01]\n    bucket: reports-bucket\n"
        "    actions: [s3:PutObjectRetention, s3:ReplicateDelete]\n",
        ["field 'actions[0]'", "field 'actions[1]'"],
    ),
    "public extra statement": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Open\n      Effect: Allow\n"
        "      Principal: {AWS: ['*']}\n      Action: s3:GetObject\n      Resource: '*'\n      Condition: {}\n",
        ["field 'extraStatements.reports-bucket[0]'", "makes the bucket public"],
    ),
    "extra statement with a date": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Until\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resource: '*'\n"
        "      Condition: {DateGreaterThan: {'aws:CurrentTime': 2025-12-31}}\n",
        ["grants.yaml:8:", "cannot hold", "quotes"],
    ),
    "extra statement that AWS would refuse at apply": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Broken\n      Effect: Deny\n      Principal: '*'\n"
        "      Resource: 'arn:aws:s3:::another-bucket/*'\n      Condition: {}\n",
        [
            "field 'extraStatements.reports-bucket[0].Action'",
            "neither",
            "field 'extraStatements.reports-bucket[0].Resource'",
            "not this bucket",
            "field 'extraStatements.reports-bucket[0].Condition'",
            "limits nothing",
        ],
    ),
    "extra statement granting administration or a root": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Partner\n      Effect: Allow\n"
        "      Principal: {AWS: 'arn:aws:iam::999988887777:root'}\n      Action: [s3:GetObject, s3:PutBucketPolicy]\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n",
        ["s3:PutBucketPolicy", "account root 'arn:aws:iam::999988887777:root'"],
    ),
    "grants not a list": ("grants:\n  name: x\n", ["field 'grants'", "must be a list"]),
    "empty file": ("", ["must be a mapping with a 'grants:' list"]),
    "bad prefix": (
        "grants:\n  - name: pre\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    prefixes: ['/abs', 'a*']\n",
        ["field 'prefixes[0]'", "field 'prefixes[1]'"],
    ),
    "duplicate key": (
        "grants:\n  - name: dup\n    users: [u01]\n    users: [u02]\n    bucket: reports-bucket\n    access: read\n",
        ["grants.yaml:4: grant 'dup', field 'users': the key 'users' appears twice"],
    ),
    # Python's dict makes 1 and true one key, and pydantic would say only "Keys should be strings".
    "keys that YAML reads as other than text": (
        "grants:\n  - name: keys\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    1: a\n    true: b\n    ~: c\n    2020-01-01: d\n    '2': quoted\n",
        [
            "grants.yaml:6: grant 'keys': the key '1' is read by YAML as a number, not as a name",
            "put it in quotes ('1') if it is a name",
            "grants.yaml:7: grant 'keys': the key 'true' is read by YAML as a boolean (true or false)",
            "grants.yaml:8: grant 'keys': the key '~' is read by YAML as null (no value)",
            "grants.yaml:9: grant 'keys': the key '2020-01-01' is read by YAML as a date",
        ],
    ),
    # IAM's Null condition operator, unquoted, is YAML 1.1's null.
    "extra statement with IAM's Null operator unquoted": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: NoTls\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition:\n        Null: {'aws:SecureTransport': 'true'}\n",
        [
            "grants.yaml:14: field 'extraStatements.reports-bucket[0].Condition': the key 'Null' is read by YAML "
            "as null (no value), not as a name",
            "put it in quotes ('Null')",
        ],
    ),
    # pydantic's own location steps (`function-after[...]`) hold brackets; a mistyped key may too.
    "a mistyped field with a bracket": (
        "grants:\n  - name: typo\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    'bu[cket': x\n    'users[0]': y\n",
        [
            "grants.yaml:6: grant 'typo', field 'bu[cket': is not a field this program knows",
            "grants.yaml:7: grant 'typo', field 'users[0]': is not a field this program knows",
        ],
    ),
    "a list as a key, in a grant without a name": (
        "grants:\n  - users: [u01]\n    bucket: reports-bucket\n    access: read\n    ? [a, b]\n    : c\n",
        ["grants.yaml:5: grant '#1 (unnamed)': a key here is a list, not a name"],
    ),
    "keys that are tagged": (
        "grants:\n  - name: tags\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    !!int '7': a\n    !foo bar: b\n    description: !baz c\n",
        [
            "grants.yaml:6: grant 'tags': the key '7' is tagged !!int, which makes it a number, not a name",
            "remove the !!int tag",
            "grants.yaml:7: grant 'tags': the key 'bar' has the YAML tag !foo, which a grants file cannot hold",
            "grants.yaml:8: grant 'tags', field 'description': the YAML tag !baz is not one a grants file can hold",
        ],
    ),
    "a merge key that merges no mapping, beside another problem": (
        "grants:\n  - name: g1\n    description: &text hello\n    <<: *text\n    users: [u01]\n"
        "    bucket: reports-bucket\n    access: read\n    1: x\n",
        [
            "grants.yaml:4: grant 'g1': a merge key (<<) here merges something other than a mapping",
            "grants.yaml:8: grant 'g1': the key '1' is read by YAML as a number",
        ],
    ),
    "a value YAML reads as a merge or value marker": (
        "grants:\n  - name: g1\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    description: <<\n    prefixes: [=]\n",
        [
            "grants.yaml:6: grant 'g1', field 'description': the value '<<' is read by YAML as a merge or value marker",
            "put it in quotes ('<<')",
            "grants.yaml:7: grant 'g1', field 'prefixes[0]': the value '=' is read by YAML",
        ],
    ),
    "a merge bomb": (
        "grants:\n  - name: g1\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    description: &l0 {a: 1}\n"
        + "".join(f"    l{n}: &l{n} {{<<: [{', '.join([f'*l{n - 1}'] * 10)}]}}\n" for n in range(1, 9))
        + "  - <<: *l8\n",
        ["more than 100,000 values, counting each use of a YAML alias"],
    ),
    "duplicate key where the grants list should be": (
        "grants:\n  name: x\n  name: y\n",
        ["grants.yaml:3: field 'grants.name': the key 'name' appears twice"],
    ),
    "duplicate key in a kept statement": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: A\n      Sid: B\n",
        ["grants.yaml:9: field 'extraStatements.reports-bucket[0].Sid': the key 'Sid' appears twice"],
    ),
    "number as user": (
        "grants:\n  - name: num\n    users: [12345]\n    bucket: reports-bucket\n    access: read\n",
        ["field 'users[0]'", "the number 12345", "quotes"],
    ),
    # YAML 1.1 reads these unquoted values otherwise than written; a kept statement would change silently.
    "extra statement with an account ID YAML reads as octal": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: DenyPartner\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition: {StringEquals: {'aws:PrincipalAccount': 012345670123}}\n",
        [
            "grants.yaml:13: field 'extraStatements.reports-bucket[0].Condition.StringEquals.aws:PrincipalAccount'",
            "read by YAML as the number 1402433619",
            'put it in quotes ("012345670123")',
        ],
    ),
    "extra statement open to everyone behind a wildcard condition": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Open\n      Effect: Allow\n      Principal: '*'\n"
        "      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition: {StringLike: {'aws:PrincipalArn': '*'}, ArnLikeIfExists: {'aws:SourceArn': ['x', '**']}}\n",
        ["field 'extraStatements.reports-bucket[0]'", "does not limit who", "makes the bucket public"],
    ),
    # A wildcard service principal is any account's use of any service: as open as 'Principal: *' (S3 calls a
    # policy public unless it grants only to fixed principals), so it needs the same condition.
    "extra statement open to every service, or to every identity provider behind a condition on TLS": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Logs\n      Effect: Allow\n      Principal: {Service: '*'}\n"
        "      Action: s3:PutObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "    - Sid: Web\n      Effect: Allow\n      Principal: {Federated: ['accounts.google.com', '*']}\n"
        "      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition: {Bool: {'aws:SecureTransport': 'true'}}\n",
        [
            "grants.yaml:8: field 'extraStatements.reports-bucket[0]': the statement 'Logs' allows everyone "
            "('Principal: {Service: *}', any service acting for any account) with no condition",
            "grants.yaml:13: field 'extraStatements.reports-bucket[1]': the statement 'Web' allows everyone "
            "('Principal: {Federated: *}', any identity provider) and its Condition does not limit who",
        ],
    ),
    # AWS refuses an action name that does not exist, but only at apply; and a misspelt one slipped past the
    # administration check, which looks names up in the same catalogue.
    "extra statement with S3 actions that do not exist": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Partner\n      Effect: Allow\n"
        "      Principal: {AWS: 'arn:aws:iam::999988887777:role/reader'}\n"
        "      Action: [s3:GetObject, s3:PutBucketFutureThing, 's3:PutBucketPolicy ']\n"
        "      Resource: ['arn:aws:s3:::reports-bucket', 'arn:aws:s3:::reports-bucket/*']\n"
        "    - Sid: NoDeletes\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: [s3:DeleteObjekt, 's3:Fooo*', ' s3:PutBucketPolicy', 's3:', 's3:?', 's3:*']\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n",
        [
            "grants.yaml:11: field 'extraStatements.reports-bucket[0].Action': 's3:PutBucketFutureThing' matches no "
            "S3 action",
            "'s3:PutBucketPolicy ' matches no S3 action",
            "fix: did you mean s3:PutBucketPolicy",
            "allows 's3:PutBucketPolicy ', which reaches beyond S3 object data",
            "grants.yaml:16: field 'extraStatements.reports-bucket[1].Action': 's3:DeleteObjekt' matches no S3 action",
            "fix: did you mean s3:DeleteObject",
            "'s3:Fooo*' matches no S3 action",
            "' s3:PutBucketPolicy' matches no S3 action",  # a space before the service hid it from the check
            "'s3:' matches no S3 action",
            "'s3:?' matches no S3 action",  # nothing left but a wildcard, yet no action has one letter
        ],
    ),
    # "You cannot use a wildcard to match part of a principal name or ARN" (IAM user guide); AWS refuses the
    # policy only when `pulumi up` writes it.
    "extra statement with a wildcard in part of a principal": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Partner\n      Effect: Allow\n"
        "      Principal: {AWS: 'arn:aws:iam::*:root'}\n      Action: s3:GetObject\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "    - Sid: NotCi\n      Effect: Deny\n      Principal: {AWS: ['*', 'arn:aws:iam::111122223333:role/ci-?']}\n"
        "      Action: s3:DeleteObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n",
        [
            "grants.yaml:10: field 'extraStatements.reports-bucket[0].Principal.AWS': 'arn:aws:iam::*:root' has a "
            "wildcard in part of a principal, and AWS refuses the policy ('Invalid principal in policy')",
            "fix: name each principal exactly",
            "grants.yaml:15: field 'extraStatements.reports-bucket[1].Principal.AWS': "
            "'arn:aws:iam::111122223333:role/ci-?' has a wildcard",
        ],
    ),
    # JSON reads 1e3 as a number; YAML 1.1 reads it as text, needing a '.' and a signed exponent (1.0e+3).
    "extra statement with a number JSON would read and YAML reads as text": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: FewKeys\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:ListBucket\n      Resource: 'arn:aws:s3:::reports-bucket'\n"
        "      Condition:\n        NumericGreaterThan:\n          's3:max-keys': 1e3\n"
        "          's3:other': [1.5E2, -2e+1, 1.0e+3, 7]\n",
        [
            "grants.yaml:15: field 'extraStatements.reports-bucket[0].Condition.NumericGreaterThan.s3:max-keys': the "
            "unquoted value 1e3 is read by YAML as the text '1e3', not as the number JSON reads",
            'fix: write the number as YAML reads one (1.0e+3 or 1000), or put it in quotes ("1e3")',
            "field 'extraStatements.reports-bucket[0].Condition.NumericGreaterThan.s3:other[0]': the unquoted value "
            "1.5E2",
            "(1.5e+2 or 150)",
            "field 'extraStatements.reports-bucket[0].Condition.NumericGreaterThan.s3:other[1]'",
            "(-2.0e+1 or -20)",
        ],
    ),
    "extra statement with elements AWS would refuse at apply": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Typed\n      Effect: Allow\n"
        "      Principal: {AWS: [5, null], Foo: bar}\n      Action: [s3:GetObject, 5]\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n      Extra: 1\n"
        "    - Sid: Listed\n      Effect: Deny\n      Principal: [x]\n      Action: s3:GetObject\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n",
        [
            "grants.yaml:10: field 'extraStatements.reports-bucket[0].Principal.AWS': must be a text or a list",
            "field 'extraStatements.reports-bucket[0].Principal.Foo': 'Foo' is not a kind of principal",
            "grants.yaml:11: field 'extraStatements.reports-bucket[0].Action': must be a text or a list of texts",
            "grants.yaml:13: field 'extraStatements.reports-bucket[0].Extra': 'Extra' is not an element",
            "grants.yaml:16: field 'extraStatements.reports-bucket[1].Principal': must be '*' or a mapping",
        ],
    ),
    "extra statement with yes, no, on or off": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: DenyPlainHttp\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition: {StringEquals: {'aws:username': off}}\n",
        ["grants.yaml:13:", "the unquoted value 'off' is read by YAML as false", "quotes: 'off'"],
    ),
}


def kept_condition(value: str) -> object:
    """The Condition value of a kept statement, as the program will write it into the bucket policy."""
    text = (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Kept\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        f"      Condition: {{NumericGreaterThan: {{'s3:max-keys': {value}}}}}\n"
    )
    loaded = validate_grants(parse_yaml(text, "grants.yaml"), USER_ACCOUNT)
    (statement,) = loaded.extra_statements["reports-bucket"]
    return statement["Condition"]["NumericGreaterThan"]["s3:max-keys"]


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("'012345670123'", "012345670123"),
        ("1000", 1000),
        ("false", False),
        ("2.5", 2.5),
        ("1.0e+3", 1000.0),
        ("'1e3'", "1e3"),
    ],
)
def test_a_kept_statement_keeps_a_value_yaml_reads_as_written(written: str, kept: object) -> None:
    assert kept_condition(written) == kept


def problems_in(text: str, file: str = "grants.yaml") -> InputProblems:
    """The refusal of a grants file; fails the test when the file is accepted."""
    with pytest.raises(InputProblems) as refused:
        validate_grants(parse_yaml(textwrap.dedent(text), file, rules=GRANTS_FILE), USER_ACCOUNT)
    return refused.value


def refusal(text: str, *fragments: str) -> str:
    found = problems_in(text)
    message = found.render()
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert len(set(found.problems)) == len(found.problems), f"a problem is reported twice:\n{message}"
    return message


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_grants_file_is_refused_with_every_problem_located(name: str) -> None:
    text, fragments = CASES[name]
    refusal(text, *fragments)


def grant(**fields: object) -> str:
    entry = {"name": "g", "users": ["u01"], "bucket": "reports-bucket", "access": "read", **fields}
    return json.dumps({"grants": [{key: value for key, value in entry.items() if value is not None}]})


def test_a_missing_access_says_to_add_one() -> None:
    message = refusal(grant(access=None), "field 'access'", "sets neither 'access' nor 'actions'")
    assert "fix: add one: an access level" in message


@pytest.mark.parametrize(("written", "meant"), [("readwrite", "read-write"), ("Write", "write"), ("reed", "read")])
def test_a_close_misspelling_of_a_level_gets_a_suggestion(written: str, meant: str) -> None:
    refusal(grant(access=written), "field 'access'", f"did you mean '{meant}'?")


def test_an_unrelated_level_gets_no_suggestion() -> None:
    assert "did you mean" not in refusal(grant(access="admin"), "'read', 'write', 'read-write' or 'full'")


def test_a_single_user_written_as_text_is_refused_with_the_list_to_write() -> None:
    refusal(grant(users="ci-bot"), "field 'users'", "must be a list, but YAML read 'ci-bot'", "'users: [ci-bot]'")


def test_a_single_role_written_as_text_is_one_problem_not_also_nobody_named() -> None:
    message = refusal(grant(users=None, roles="deployer"), "field 'roles'", "'roles: [deployer]'")
    assert "names nobody" not in message and "found 1 problem" in message


def test_a_rule_across_fields_is_reported_once_even_beside_an_invalid_field() -> None:
    message = refusal(grant(users=["bad user"], buckets=["other-bucket"]), "field 'users[0]'", "field 'buckets'")
    assert message.count("sets both 'bucket' and 'buckets'") == 1


def test_statement_rules_are_reported_once_each() -> None:
    text = GOOD_GRANT.join(["grants:", ""]) + (
        "extraStatements:\n  reports-bucket:\n    - Sid: Same\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "    - Sid: same\n      Effect: Deny\n      Principal: '*'\n      Action: s3:GetObject\n"
        "      Resource: 'arn:aws:s3:::elsewhere/*'\n"
    )
    message = refusal(
        text, "field 'extraStatements.reports-bucket[1].Sid'", "used twice", "[1].Resource'", "not this bucket"
    )
    assert message.count("used twice") == 1 and message.count("not this bucket") == 1


def test_each_grant_knows_the_file_and_line_it_came_from() -> None:
    loaded = validate_grants(
        parse_yaml("grants:" + GOOD_GRANT.replace("ok-grant", "second") + GOOD_GRANT, "a.yaml"), None
    )
    origins = {g.name: (g.where.doc.file, g.where.line, g.where.at("users", 0).field) for g in loaded.grants}
    assert origins == {"ok-grant": ("a.yaml", 7, "users[0]"), "second": ("a.yaml", 2, "users[0]")}


def test_a_grant_name_used_in_two_files_is_refused_naming_both() -> None:
    files = [check_grants_file(parse_yaml("grants:" + GOOD_GRANT, name), USER_ACCOUNT) for name in ("a.yaml", "b.yaml")]
    with pytest.raises(InputProblems) as refused:
        merge_grant_files(files)
    assert [p.render().splitlines()[0] for p in refused.value.problems] == [
        "b.yaml:2: grant 'ok-grant', field 'name': the grant name is already used on a.yaml:2; names identify "
        "grants, so they must be unique"
    ]


def test_a_duplicate_name_is_reported_beside_other_problems() -> None:
    refusal("grants:" + GOOD_GRANT + GOOD_GRANT.replace("u01", "'bad user'"), "already used on line 2", "users[0]")


def settings_refusal(**accounts: object) -> str:
    raw = {
        "bucketAccount": json.dumps({"accountId": "123456789012", "region": "us-east-1"}),
        "userAccount": json.dumps({"accountId": "012345678901", "region": "us-east-1"}),
    }
    raw.update({key: json.dumps({"accountId": value, "region": "us-east-1"}) for key, value in accounts.items()})
    with pytest.raises(InputProblems) as refused:
        parse_settings(raw, "nonprod", None)
    return refused.value.render()


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        (12345678901, 'accountId: "012345678901"'),  # YAML's number for an unquoted 012345678901
        (1402433619, 'accountId: "012345670123"'),  # PyYAML's octal reading of 012345670123
        (987654321098, 'accountId: "987654321098"'),
    ],
)
def test_an_account_id_read_as_a_number_is_quoted_back_in_the_fix(value: int, quoted: str) -> None:
    message = settings_refusal(bucketAccount=value)
    assert "field 'cross-account-s3:bucketAccount.accountId'" in message
    assert quoted in message.split("fix:", 1)[1]
    assert ('"012345678901"' in message) == (value == 12345678901)


def test_a_malformed_account_id_is_named_in_the_fix() -> None:
    message = settings_refusal(userAccount="1234567890")
    assert "fix: replace '1234567890' with the 12-digit ID" in message


def test_the_same_account_twice_is_reported_beside_another_bad_setting() -> None:
    same = json.dumps({"accountId": "123456789012", "region": "us-east-1"})
    with pytest.raises(InputProblems) as refused:
        parse_settings({"bucketAccount": same, "userAccount": same, "groupQuota": "many"}, "nonprod", None)
    fields = [problem.field for problem in refused.value.problems]
    assert fields == ["cross-account-s3:groupQuota", "cross-account-s3:userAccount.accountId"]


def test_the_listed_values_keep_their_case() -> None:
    text = GOOD_GRANT.join(["grants:", ""]) + (
        "extraStatements:\n  reports-bucket:\n    - Sid: Kept\n      Effect: allow\n      Principal: '*'\n"
        "      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
    )
    refusal(text, "field 'extraStatements.reports-bucket[0].Effect'", "'Allow' or 'Deny'", "did you mean 'Allow'?")


@pytest.mark.parametrize(
    "condition",
    [
        "{StringLike: {'aws:PrincipalArn': '*'}, StringEquals: {'aws:SourceVpce': vpce-1a2b3c4d}}",  # ANDed
        "{ArnEquals: {'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/a', 'arn:aws:iam::111122223333:user/b']}}",
        "{StringEquals: {'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1'}}",
        "{StringEqualsIgnoreCase: {'AWS:SOURCEVPC': vpc-1a2b3c4d}}",
    ],
)
def test_an_allow_to_everyone_behind_a_real_condition_is_kept(condition: str) -> None:
    text = (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Limited\n      Effect: Allow\n      Principal: '*'\n"
        f"      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n      Condition: {condition}\n"
    )
    loaded = validate_grants(parse_yaml(text, "grants.yaml"), USER_ACCOUNT)
    assert [statement["Sid"] for statement in loaded.extra_statements["reports-bucket"]] == ["Limited"]


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ("{ArnLike: {'aws:PrincipalArn': 'arn:*'}}", "a pattern that matches more than one"),
        ("{StringLike: {'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/*'}}", "a pattern"),
        ("{'ForAllValues:StringEquals': {'aws:PrincipalArn': 'arn:aws:iam::1:role/a'}}", "passes a request without"),
        ("{StringEquals: {'aws:SourceAccount': '111122223333'}}", "names whole accounts"),
        ("{StringEquals: {'aws:PrincipalArn': ''}}", "which is no ARN or ID"),
        ("{ArnEquals: {'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/*'}}", "a pattern"),
        ("{StringEquals: {'aws:PrincipalArn': 'arn:aws:iam::1:role/a'}, Bool: {'aws:SecureTransport': 'true'}}", ""),
    ],
)
def test_an_allow_to_everyone_behind_a_condition_that_does_not_fix_who_is_refused(condition: str, why: str) -> None:
    """The simulator shows such statements letting strangers in (test_kept_statements.py); these are the
    spellings it cannot show (a set operator, a source account) or that only look narrow."""
    text = (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Limited\n      Effect: Allow\n      Principal: {AWS: '*'}\n"
        f"      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n      Condition: {condition}\n"
    )
    if not why:  # one exact clause fixes who, whatever the others say
        validate_grants(parse_yaml(text, "grants.yaml"), USER_ACCOUNT)
        return
    refusal(text, "grants.yaml:8: field 'extraStatements.reports-bucket[0]'", "'Limited' allows everyone", why)


def test_a_public_statement_is_refused_beside_its_other_problems() -> None:
    text = (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Open\n      Effect: Allow\n      Principal: '*'\n"
        "      Action: [s3:GetObjekt, s3:PutBucketAcl]\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition: {Bool: {'aws:SecureTransport': 'true'}}\n"
    )
    problems = problems_in(text).problems
    assert [(problem.line, problem.field) for problem in problems] == [
        (8, "extraStatements.reports-bucket[0]"),
        (11, "extraStatements.reports-bucket[0].Action"),
        (11, "extraStatements.reports-bucket[0].Action"),
    ]


def test_a_key_that_is_not_text_is_reported_beside_every_other_problem() -> None:
    found = problems_in(
        "grants:\n  - name: one\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n    1: x\n"
        "  - name: two\n    users: [u01]\n    bucket: reports-bucket\n    access: bogus\n"
    ).render()
    assert "grants.yaml:6: grant 'one': the key '1' is read by YAML as a number" in found
    assert "grants.yaml:10: grant 'two', field 'access'" in found


def test_a_problem_in_a_mapping_used_again_by_alias_or_merge_is_reported_once_where_it_is_written() -> None:
    found = problems_in(
        "grants:\n  - &base\n    name: g-one\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    1: x\n    users: [u02]\n  - <<: *base\n    name: g-two\n  - <<: *base\n    name: g-three\n"
    )
    number = [p for p in found.problems if "read by YAML as a number" in p.message]
    twice = [p for p in found.problems if "appears twice" in p.message]
    assert [(p.line, p.grant, p.field) for p in number] == [(7, "g-one", None)]
    assert [(p.line, p.grant, p.field) for p in twice] == [(8, "g-one", "users")]


def test_a_grant_listed_again_whole_by_alias_is_one_problem_where_it_is_written_and_its_own_are_listed_once() -> None:
    """`- *base` is the very same grant again: not a second grant with the same name, and not every problem twice."""
    found = problems_in(
        "grants:\n  - &base\n    name: g-one\n    users: ['bad user']\n    bucket: reports-bucket\n    access: raed\n"
        "  - *base\n  - <<: *base\n    name: g-two\n"
    )
    assert [(p.line, p.grant, p.field) for p in found.problems] == [
        (2, "g-one", None),  # where `&base` is written
        (4, "g-one", "users[0]"),
        (6, "g-one", "access"),
        (8, "g-two", "access"),  # a merge is a grant of its own: its inherited values are its own problems
        (8, "g-two", "users[0]"),
    ]
    assert "grant #2 of the list is this grant again, through a YAML alias" in found.problems[0].message
    assert not [p for p in found.problems if "already used" in p.message]


def test_a_grant_repeated_by_alias_in_an_otherwise_valid_file_is_refused() -> None:
    found = problems_in(
        "grants:\n  - &base\n    name: g-one\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "  - *base\n"
    )
    assert [(p.line, p.grant) for p in found.problems] == [(2, "g-one")]


def test_two_grants_of_one_name_on_one_line_are_still_a_duplicate_name() -> None:
    """Flow style puts two different grants on one line: that is a duplicate name, not an alias."""
    grant = "{name: same, users: [u01], bucket: reports-bucket, access: read}"
    (problem,) = problems_in(f"grants: [{grant}, {grant}]\n").problems
    assert "the grant name is already used on line 1" in problem.message


@pytest.mark.parametrize(
    ("grant", "named"),
    [
        ("    <<: [{name: first}, {name: second}]\n", "first"),  # of merged mappings, the first one's key wins
        ("    name: own\n    <<: {name: merged}\n", "own"),  # the grant's own key wins over a merged one
        ("    name: 123\n    <<: {name: merged}\n", "#1 (unnamed)"),  # ... even when it is no text
    ],
)
def test_a_problem_found_in_the_yaml_names_the_grant_as_validation_does(grant: str, named: str) -> None:
    found = problems_in(
        f"grants:\n  -\n{grant}    users: [u01]\n    bucket: Bad_Bucket\n    access: read\n    access: write\n"
    )
    twice = [p for p in found.problems if "appears twice" in p.message]
    bucket = [p for p in found.problems if p.field == "bucket"]
    assert [p.grant for p in twice] == [named] and [p.grant for p in bucket] == [named]


@pytest.mark.parametrize(
    "nesting",
    [
        "[" * 50_000,
        "[" * 40_000 + "]" * 40_000,
        "\n" + "- " * 40_000 + "x",
        # Quoted ']' that a count of brackets would take off the real ones.
        ("[" * 900 + '"' + "]" * 900 + '", ') * 60 + "x" + "]" * 54_000,
    ],
)
def test_a_file_nested_past_what_libyaml_survives_is_refused_before_it_is_parsed(nesting: str) -> None:
    """libyaml's composer recurses in C without a check: this deep, it ended the process with no message."""
    (problem,) = problems_in(f"grants: {nesting}\n").problems
    assert problem.message.startswith("the document nests too deeply to read")
    assert problem.line is not None


def test_a_real_file_with_brackets_in_its_text_is_not_called_too_deep() -> None:
    text = (
        "grants:\n  - name: matrix\n    description: 'matrix " + "[" * 1_500 + "'\n    users: [u01]\n"
        "    bucket: reports-bucket\n    access: read\n" + " " * 1_001 + "\n# " + "[" * 1_001 + "\n"
    )
    (grant,) = validate_grants(parse_yaml(text, "grants.yaml", rules=GRANTS_FILE), USER_ACCOUNT).grants
    assert grant.name == "matrix"


def test_what_is_wrong_in_a_duplicate_value_is_said_too() -> None:
    message = problems_in(
        "grants:\n  - name: g1\n    users: [u01]\n    users: [!foo bob, {1: x}]\n    bucket: reports-bucket\n"
        "    access: read\n"
    ).render()
    assert "grants.yaml:4: grant 'g1', field 'users': the key 'users' appears twice" in message
    assert "grants.yaml:4: grant 'g1', field 'users[0]': the YAML tag !foo is not one a grants file can hold" in message
    assert "grants.yaml:4: grant 'g1', field 'users[1]': the key '1' is read by YAML as a number" in message


def test_a_merge_list_with_something_else_in_it_still_merges_its_mappings() -> None:
    found = problems_in("grants:\n  - <<: [{name: a, users: [u01]}, 5]\n    bucket: reports-bucket\n    access: read\n")
    (problem,) = found.problems
    assert (problem.line, problem.grant) == (2, "a") and "merge key (<<)" in problem.message


@pytest.mark.parametrize(
    "tagged",
    [
        "roles: !!seq {a: 1}",
        "roles: !!map [a]",
        "description: !!omap x",
        "? !!set x\n    : y",
        "description: !!int abc",
        "description: !!timestamp 2001-99-99",
    ],
)
def test_a_standard_tag_on_the_wrong_value_is_one_problem_among_the_others(tagged: str) -> None:
    message = problems_in(
        f"grants:\n  - name: g1\n    users: [u01]\n    bucket: reports-bucket\n    access: bogus\n    {tagged}\n"
        "    1: x\n"
    ).render()
    assert "grants.yaml:6: grant 'g1'" in message, message
    assert "grants.yaml:5: grant 'g1', field 'access'" in message
    assert "the key '1' is read by YAML as a number" in message
    assert "not valid YAML" not in message and "cannot be read" not in message


@pytest.mark.parametrize(
    ("grant", "said"),
    [
        ('  - name: g1\n    "a\\ud800": x\n', "grants.yaml:3: grant 'g1': the key 'a\\ud800' is not valid Unicode"),
        ('  - name: g1\n    description: "a\\ud800"\n', "grants.yaml:3: grant 'g1', field 'description': the value"),
        ('  - description: x\n    name: "g\\ud800"\n', "grants.yaml:3: grant '#1 (unnamed)', field 'name': the value"),
        ('  - name: g1\n    description: !foo "a\\ud800"\n', "the YAML tag !foo is not one a grants file can hold"),
    ],
)
def test_a_lone_surrogate_stops_the_file_even_with_the_pure_python_loader(
    grant: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libyaml refuses a lone surrogate escape; PyYAML's own loader, the fallback, reads it."""
    monkeypatch.setattr(yaml_source, "_SafeLoader", yaml.SafeLoader)
    found = problems_in(f"grants:\n{grant}    users: [u01]\n    bucket: reports-bucket\n    access: read\n")
    message = found.render()
    message.encode("utf-8")  # printable: no raw surrogate reaches the message
    assert said in message and "not valid Unicode text" in message, message


def test_a_grant_may_merge_more_than_one_mapping() -> None:
    """`<<` may be written more than once in a mapping; PyYAML merges each, so none is a duplicate."""
    text = (
        "grants:\n  - name: g0\n    users: &users [u01]\n    bucket: &bucket reports-bucket\n    access: read\n"
        "  - name: g1\n    <<: {users: *users}\n    <<: {bucket: *bucket}\n    access: write\n"
    )
    loaded = validate_grants(parse_yaml(text, "grants.yaml", rules=GRANTS_FILE), USER_ACCOUNT)
    (g1,) = [grant for grant in loaded.grants if grant.name == "g1"]
    assert g1.bucket_names == ("reports-bucket",)


@pytest.mark.parametrize(
    ("grant", "named"),
    [
        ("    name: first\n    name: second\n", "first"),  # the first of a key written twice is the one checked
        ("    name: !foo g1\n", "g1"),  # a tag the file cannot hold is dropped, the text kept
    ],
)
def test_a_mended_grant_is_named_the_same_by_every_problem(grant: str, named: str) -> None:
    found = problems_in(f"grants:\n  -\n{grant}    users: [u01]\n    bucket: Bad_Bucket\n    access: read\n")
    assert {p.grant for p in found.problems} == {named}
    assert len(found.problems) == 2


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("    ? !foo [a]\n    : c\n", "a key here is a list, not a name"),  # one problem, no YAML internals
        ("    ?\n    : c\n", "a key here is null (no value), not a name"),  # dropped, not made ''
        ("    Null: a\n    'Null': b\n", "the key 'Null' is read by YAML as null"),  # once quoted, no duplicate
    ],
)
def test_a_key_that_cannot_be_a_name_is_one_problem(keys: str, message: str) -> None:
    found = problems_in(
        f"grants:\n  - name: g1\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n{keys}"
    )
    yaml_problems = [p for p in found.problems if "key" in p.message]
    assert len(yaml_problems) == 1 and yaml_problems[0].message.startswith(message), found.render()
    assert "Node(" not in found.render() and "appears twice" not in found.render()


def test_a_misspelt_namespace_in_the_stack_file_is_refused_not_ignored() -> None:
    """Pulumi hands a program only its own namespace's keys: 'cross-acount-s3:grantsFile' would be dropped unseen."""
    raw = {
        "bucketAccount": json.dumps({"accountId": "123456789012", "region": "us-east-1"}),
        "userAccount": json.dumps({"accountId": "012345678901", "region": "us-east-1"}),
    }
    stack_file = parse_yaml(
        "config:\n  cross-acount-s3:grantsFile: grants/team\n  aws:region: us-east-1\n  pulumi:tags: {a: b}\n",
        "Pulumi.nonprod.yaml",
    )
    with pytest.raises(InputProblems) as refused:
        parse_settings(raw, "nonprod", stack_file)
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.field) == ("Pulumi.nonprod.yaml", 2, "cross-acount-s3:grantsFile")
    assert "write it as 'cross-account-s3:grantsFile'" in problem.fix


def test_another_programs_longer_namespace_is_not_called_a_misspelling() -> None:
    raw = {
        "bucketAccount": json.dumps({"accountId": "123456789012", "region": "us-east-1"}),
        "userAccount": json.dumps({"accountId": "012345678901", "region": "us-east-1"}),
    }
    stack_file = parse_yaml("config:\n  cross-account-s3-legacy:grantsFile: old.yaml\n", "Pulumi.nonprod.yaml")
    assert parse_settings(raw, "nonprod", stack_file).grants_file == "grants/nonprod.yaml"


@pytest.mark.parametrize("character", ["\x07", "\x00", "\x1b"])
def test_a_control_character_is_named_with_its_line_even_after_non_ascii_text(character: str) -> None:
    text = f"# café, naïve, ü\ngrants:\n  - name: a{character}b\n"
    message = problems_in(text).render()
    assert f"grants.yaml:3: the file holds the character U+{ord(character):04X}" in message


def test_a_cloudfront_origin_access_identity_is_kept_for_the_pack_to_judge() -> None:
    """A legacy CloudFront OAI is named by its canonical user ID, which is no account; the policy pack blocks the
    statement until a reviewer exempts its Sid (guardrails.md), so the program itself keeps it."""
    text = (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: CloudFrontRead\n      Effect: Allow\n"
        "      Principal: {CanonicalUser: 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be}\n"
        "      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
    )
    loaded = validate_grants(parse_yaml(text, "grants.yaml"), USER_ACCOUNT)
    assert [statement["Sid"] for statement in loaded.extra_statements["reports-bucket"]] == ["CloudFrontRead"]


def test_a_value_merged_into_a_kept_statement_is_reported_once_where_it_is_written() -> None:
    text = (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - &deny\n      Sid: One\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition: {StringEquals: {'aws:username': on}}\n"
        "    - <<: *deny\n      Sid: Two\n"
    )
    problems = problems_in(text).problems
    assert [(problem.line, problem.field) for problem in problems] == [
        (14, "extraStatements.reports-bucket[0].Condition.StringEquals.aws:username")
    ]


KEEPING = (
    "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
    "extraStatements:\n  reports-bucket:\n"
)  # a kept statement's first line is line 8


def located(text: str) -> list[tuple[int | None, str | None, str]]:
    """Each problem of a refused grants file as (line, field, message and fix), in the order reported."""
    return [(p.line, p.field, f"{p.message} / fix: {p.fix}") for p in problems_in(text).problems]


def test_a_statement_without_effect_still_has_its_other_problems_listed() -> None:
    """Read as the Allow it may be, so that writing 'Effect: Allow' reveals nothing new; each says it is read so."""
    found = located(
        KEEPING + "    - Sid: PartnerRead\n"
        "      Principal: {AWS: 'arn:aws:iam::999988887777:root'}\n"
        "      Action: s3:PutBucketPolicy\n"
        "      Resource: 'arn:aws:s3:::reports-bucket'\n"
    )
    assert [(line, field) for line, field, _ in found] == [
        (8, "extraStatements.reports-bucket[0].Effect"),
        (9, "extraStatements.reports-bucket[0].Principal"),
        (10, "extraStatements.reports-bucket[0].Action"),
    ]
    assert "is required" in found[0][2]
    assert "account root" in found[1][2] and "'s3:PutBucketPolicy'" in found[2][2]
    for _, _, text in found[1:]:
        assert "read as an Allow, the reading that lets most through, since it has no Effect" in text
        assert "if the statement is meant to deny, write 'Effect: Deny'" in text


def test_a_misspelt_effect_and_a_misspelt_element_hide_nothing() -> None:
    found = located(
        KEEPING + "    - Sid: PartnerRead\n      Effect: Alow\n"
        "      Principal: {AWS: 'arn:aws:iam::999988887777:root'}\n"
        "      Actions: [s3:GetObject, s3:PutBucketAcl]\n"
        "      Resources: 'arn:aws:s3:::another-bucket/*'\n"
    )
    assert [(line, field) for line, field, _ in found] == [
        (9, "extraStatements.reports-bucket[0].Effect"),
        (10, "extraStatements.reports-bucket[0].Principal"),
        (11, "extraStatements.reports-bucket[0].Actions"),
        (11, "extraStatements.reports-bucket[0].Actions"),
        (12, "extraStatements.reports-bucket[0].Resources"),
        (12, "extraStatements.reports-bucket[0].Resources"),
    ]
    effect, root, actions, admin, resources, elsewhere = (text for _, _, text in found)
    assert "did you mean 'Allow'?" in effect
    assert "account root" in root and "read as an Allow, which its Effect 'Alow' seems to mean" in root
    assert "'Actions' is not an element" in actions and "did you mean 'Action'?" in actions
    assert "'s3:PutBucketAcl'" in admin
    assert "did you mean 'Resource'?" in resources and "not this bucket" in elsewhere
    assert "needs exactly one of" not in " ".join((effect, actions, resources))


def test_an_invalid_sid_hides_nothing() -> None:
    found = located(
        KEEPING + "    - Sid: Deny-Insecure-Transport\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resources: 'arn:aws:s3:::reports-bucket/*'\n      Condition: {}\n"
    )
    assert [(line, field) for line, field, _ in found] == [
        (8, "extraStatements.reports-bucket[0].Sid"),
        (12, "extraStatements.reports-bucket[0].Resources"),
        (13, "extraStatements.reports-bucket[0].Condition"),
    ]


def test_a_misspelt_deny_is_not_charged_with_an_allows_problems() -> None:
    """`deny` is read as the Deny it means: a Deny to everyone of every action is what DenyInsecureTransport is."""
    found = located(
        KEEPING + "    - Sid: DenyInsecureTransport\n      Effect: deny\n      Principal: '*'\n      Action: s3:*\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n      Condition: {Bool: {'aws:SecureTransport': 'false'}}\n"
    )
    assert [(line, field) for line, field, _ in found] == [(9, "extraStatements.reports-bucket[0].Effect")]


def test_an_effect_that_means_neither_is_checked_as_an_allow() -> None:
    found = located(
        KEEPING + "    - Sid: Open\n      Effect: Permit\n      Principal: '*'\n      Action: s3:GetObject\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
    )
    assert [(line, field) for line, field, _ in found] == [
        (8, "extraStatements.reports-bucket[0]"),
        (9, "extraStatements.reports-bucket[0].Effect"),
    ]
    assert "allows everyone" in found[0][2] and "since its Effect is 'Permit'" in found[0][2]


def test_a_condition_operator_iam_does_not_have_is_refused_with_what_was_meant() -> None:
    """S3 answers such a policy with MalformedPolicy, but only when `pulumi up` writes it."""
    found = located(
        KEEPING + "    - Sid: DenyInsecureTransport\n      Effect: Deny\n      Principal: '*'\n      Action: s3:*\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "      Condition:\n"
        "        Bol: {'aws:SecureTransport': 'false'}\n"
        "        'ForAnyValues:StringLike': {'s3:prefix': 'tmp/*'}\n"
        "        NullIfExists: {'s3:x-amz-server-side-encryption': 'true'}\n"
        "        numericLessThan: {'s3:TlsVersion': 1.2}\n"
        "        Sometimes: {'aws:username': 'x'}\n"
    )
    field = "extraStatements.reports-bucket[0].Condition"
    assert [(line, where) for line, where, _ in found] == [
        (14, f"{field}.Bol"),
        (15, f"{field}.ForAnyValues:StringLike"),
        (16, f"{field}.NullIfExists"),
        (17, f"{field}.numericLessThan"),
        (18, f"{field}.Sometimes"),
    ]
    bol, set_operator, null, case, unknown = (text for _, _, text in found)
    assert "'Bol' is not one of IAM's condition operators, and AWS refuses the policy (MalformedPolicy)" in bol
    assert "did you mean 'Bool'?" in bol
    assert "did you mean 'ForAnyValue:StringLike'?" in set_operator
    assert "every condition operator but Null" in null and "did you mean 'Null'?" in null
    assert "another case" in case and "write 'NumericLessThan'" in case
    assert "did you mean" not in unknown


def test_a_principal_aws_would_refuse_is_refused_at_its_own_line_with_what_was_meant() -> None:
    """S3 answers such a policy with "Invalid principal in policy", but only when `pulumi up` writes it."""
    found = located(
        KEEPING + "    - Sid: NoPartnerDeletes\n      Effect: Deny\n"
        "      Principal:\n"
        "        AWS:\n"
        "          - 'arn:aws:iam::999988887777:rol/partner'\n"
        "          - 'arn:aws:iam::999988887777:assumed-role/ci/session'\n"
        "          - 'arn:aws:iam::99998888777:root'\n"
        "          - AIDAOLDUSERID1234567\n"
        "          - 'arn:aws:iam::999988887777:role/partner'\n"
        "        Service: cloudfront\n"
        "        CanonicalUser: abc123\n"
        "        Federated: 'arn:aws:iam::999988887777:role/web'\n"
        "      Action: s3:DeleteObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
    )
    field = "extraStatements.reports-bucket[0].Principal"
    assert [(line, where) for line, where, _ in found] == [
        (12, f"{field}.AWS[0]"),
        (13, f"{field}.AWS[1]"),
        (14, f"{field}.AWS[2]"),
        (15, f"{field}.AWS[3]"),
        (17, f"{field}.Service"),
        (18, f"{field}.CanonicalUser"),
        (19, f"{field}.Federated"),
    ]
    kind, service, account, unique_id, short_service, canonical, federated = (text for _, _, text in found)
    assert "is not a principal AWS accepts in a bucket policy, and AWS refuses the policy" in kind
    assert "did you mean 'arn:aws:iam::999988887777:role/partner'?" in kind
    assert "did you mean 'arn:aws:sts::999988887777:assumed-role/ci/session'?" in service
    assert "did you mean" not in account
    assert "deleted" in unique_id and "names nobody" in unique_id
    assert "did you mean 'cloudfront.amazonaws.com'?" in short_service
    assert "64 letters and digits" in canonical and "SAML or OIDC provider" in federated


def test_a_malformed_principal_is_one_problem_beside_a_wildcard_and_a_root() -> None:
    """A partly wildcarded principal is reported as such, not again as malformed; a malformed root in an Allow is
    both malformed and an account root, two things to fix."""
    found = located(
        KEEPING + "    - Sid: Partner\n      Effect: Allow\n"
        "      Principal: {AWS: ['arn:aws:iam::*:root', '999988887777:root']}\n"
        "      Action: s3:GetObject\n      Resource: 'arn:aws:s3:::reports-bucket/*'\n"
    )
    assert sorted(text.split(",")[0] for _, _, text in found) == [
        "'999988887777:root' is not a principal AWS accepts in a bucket policy",
        "'arn:aws:iam::*:root' has a wildcard in part of a principal",
        "names the account root '999988887777:root'",
    ]


# Statements people keep in their buckets, written as the AWS documentation writes them: none may be refused.
COMMON_STATEMENTS = {
    "CloudFront origin access control": (
        "Sid: AllowCloudFrontServicePrincipalReadOnly\nEffect: Allow\n"
        "Principal: {Service: cloudfront.amazonaws.com}\nAction: s3:GetObject\n"
        "Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "Condition: {StringEquals: {'AWS:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE'}}"
    ),
    "S3 server access log delivery": (
        "Sid: S3ServerAccessLogsPolicy\nEffect: Allow\nPrincipal: {Service: logging.s3.amazonaws.com}\n"
        "Action: [s3:PutObject]\nResource: 'arn:aws:s3:::reports-bucket/logs*'\n"
        "Condition: {ArnLike: {'aws:SourceArn': 'arn:aws:s3:::source-bucket'}, "
        "StringEquals: {'aws:SourceAccount': '111122223333'}}"
    ),
    "ELB log delivery in a newer region": (
        "Sid: ElbLogs\nEffect: Allow\nPrincipal: {Service: logdelivery.elasticloadbalancing.amazonaws.com}\n"
        "Action: s3:PutObject\nResource: 'arn:aws:s3:::reports-bucket/elb/AWSLogs/111122223333/*'"
    ),
    "a Deny naming ELB's account": (
        "Sid: NoElbDeletes\nEffect: Deny\nPrincipal: {AWS: 'arn:aws:iam::127311923021:root'}\n"
        "Action: s3:DeleteObject\nResource: 'arn:aws:s3:::reports-bucket/*'"
    ),
    "DenyInsecureTransport": (
        "Sid: DenyInsecureTransport\nEffect: Deny\nPrincipal: '*'\nAction: 's3:*'\n"
        "Resource: ['arn:aws:s3:::reports-bucket', 'arn:aws:s3:::reports-bucket/*']\n"
        "Condition: {Bool: {'aws:SecureTransport': 'false'}}"
    ),
    "an old TLS version": (
        "Sid: DenyOldTls\nEffect: Deny\nPrincipal: '*'\nAction: 's3:*'\nResource: 'arn:aws:s3:::reports-bucket/*'\n"
        "Condition: {NumericLessThan: {'s3:TlsVersion': 1.2}}"
    ),
    "uploads without SSE-KMS": (
        "Sid: DenyUnencrypted\nEffect: Deny\nPrincipal: '*'\nAction: s3:PutObject\n"
        "Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "Condition: {StringNotEquals: {'s3:x-amz-server-side-encryption': 'aws:kms'}}"
    ),
    "uploads without an encryption header": (
        "Sid: DenyNoHeader\nEffect: Deny\nPrincipal: '*'\nAction: s3:PutObject\n"
        "Resource: 'arn:aws:s3:::reports-bucket/*'\nCondition: {'Null': {'s3:x-amz-server-side-encryption': 'true'}}"
    ),
    "another key than the bucket's, if one is given": (
        "Sid: DenyOtherKeys\nEffect: Deny\nPrincipal: '*'\nAction: s3:PutObject\n"
        "Resource: 'arn:aws:s3:::reports-bucket/*'\nCondition: {StringNotEqualsIfExists: "
        "{'s3:x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:111122223333:key/k'}}"
    ),
    "principals of every documented kind": (
        "Sid: NoDeletes\nEffect: Deny\nAction: s3:DeleteObject\nResource: 'arn:aws:s3:::reports-bucket/*'\n"
        "Principal:\n  AWS: ['111122223333', 'arn:aws:iam::111122223333:root', "
        "'arn:aws:iam::111122223333:user/division/team/bob', 'arn:aws:iam::111122223333:role/ci/deployer', "
        "'arn:aws:sts::111122223333:assumed-role/deployer/session-1', 'arn:aws:sts::111122223333:federated-user/bob', "
        "'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC']\n"
        "  Service: [logging.s3.amazonaws.com, delivery.logs.amazonaws.com]\n"
        "  CanonicalUser: 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be\n"
        "  Federated: [accounts.google.com, 'arn:aws:iam::111122223333:saml-provider/Okta']"
    ),
    "a legacy CloudFront origin access identity": (
        "Sid: CloudFrontRead\nEffect: Allow\nAction: s3:GetObject\nResource: 'arn:aws:s3:::reports-bucket/*'\n"
        "Principal: {AWS: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC'}"
    ),
    "set operators": (
        "Sid: DenyTags\nEffect: Deny\nPrincipal: '*'\nAction: s3:PutObjectTagging\n"
        "Resource: 'arn:aws:s3:::reports-bucket/*'\n"
        "Condition: {'ForAnyValue:StringLike': {'s3:RequestObjectTagKeys': 'secret*'}, "
        "'ForAllValues:StringEqualsIfExists': {'aws:TagKeys': ['team']}, 'ForAnyValue:Null': {'aws:TagKeys': 'false'}}"
    ),
}


@pytest.mark.parametrize("name", sorted(COMMON_STATEMENTS))
def test_a_common_statement_written_as_aws_documents_it_is_kept(name: str) -> None:
    statement = textwrap.indent(COMMON_STATEMENTS[name], "      ").replace("      ", "    - ", 1)
    loaded = validate_grants(parse_yaml(KEEPING + statement + "\n", "grants.yaml"), USER_ACCOUNT)
    assert len(loaded.extra_statements["reports-bucket"]) == 1
