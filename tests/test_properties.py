"""Property-based tests: random grants files run through the real program under Pulumi's mock runtime.

Valid files must give policies that pass the linter and, under the independent IAM simulator, exactly
what the access table says to every granted user and nothing to anyone else. Invalid or garbage files
must end in the clean list of problems, never a traceback, with nothing registered.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cross_account_s3.core import s3_actions
from cross_account_s3.infra.offline_runner import ProgramRun, run_program
from tests.access_check import Declared, mismatches
from tests.conftest import POOLS, PROJECT_ROOT, assert_refused, fixture_world
from tests.policy_lint import lint_run

LEVELS = ("read", "write", "read-write", "full")
GRANTABLE = s3_actions.grantable()
PATTERNS = ("s3:Get*", "s3:List*", "s3:GetObject*", "s3:?utObject", "s3:Abort*")
NARROWABLE = s3_actions.grantable(under_prefixes=True)
NARROWABLE_PATTERNS = ("s3:GetObject*", "s3:?utObject", "s3:Abort*", "s3:ListBucket")


def budget(examples: int) -> settings:
    """Each example runs the whole program (and, for valid files, the simulator), so budgets stay modest."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def run_file(stack: str, content: str | bytes) -> ProgramRun:
    """Write a grants file (text or raw bytes) and run the program for `stack` with it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grants.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return run_program(
            PROJECT_ROOT, stack, config={"cross-account-s3:grantsFile": str(path)}, world=fixture_world()
        )


# --- Valid grants files ----------------------------------------------------------------------------------

prefixes = st.lists(
    st.text(
        alphabet=st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="*?$"), min_size=1, max_size=12
    ).filter(lambda p: not p.startswith("/")),
    min_size=1,
    max_size=3,
    unique=True,
)


@st.composite
def grant(draw: st.DrawFn, stack: str, index: int, *, levels_only: bool) -> dict[str, Any]:
    pool = POOLS[stack]
    names = draw(st.lists(st.sampled_from(sorted(pool.users)), min_size=1, max_size=3, unique=True))
    users = [
        f"arn:aws:iam::{pool.user_account}:user{pool.users[name]}{name}" if draw(st.booleans()) else name
        for name in names
    ]
    buckets = draw(st.lists(st.sampled_from(pool.buckets), min_size=1, max_size=3, unique=True))
    item: dict[str, Any] = {"name": f"g{index}-{draw(st.sampled_from(['ci', 'qa', 'reports', 'x1']))}"}
    if draw(st.booleans()):
        item["description"] = draw(st.text(max_size=40))
    item["users"] = users
    if len(buckets) == 1 and draw(st.booleans()):
        item["bucket"] = buckets[0]
    else:
        item["buckets"] = buckets
    with_prefixes = draw(st.booleans())
    if levels_only or draw(st.booleans()):
        item["access"] = draw(st.sampled_from(LEVELS))
    else:
        choices = NARROWABLE + list(NARROWABLE_PATTERNS) if with_prefixes else GRANTABLE + list(PATTERNS)
        item["actions"] = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=6, unique=True))
    if with_prefixes:
        item["prefixes"] = draw(prefixes)
    return item


@st.composite
def valid_file(draw: st.DrawFn, *, levels_only: bool) -> tuple[str, dict[str, Any]]:
    stack = draw(st.sampled_from(sorted(POOLS)))
    count = draw(st.integers(min_value=1, max_value=4))
    return stack, {"grants": [draw(grant(stack, index, levels_only=levels_only)) for index in range(count)]}


def as_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@budget(30)
@given(case=valid_file(levels_only=True))
def test_random_valid_files_give_exactly_the_access_table_and_lint_clean(case: tuple[str, dict[str, Any]]) -> None:
    stack, data = case
    run = run_file(stack, as_yaml(data))
    assert run.error is None, run.error
    assert lint_run(run) == []
    pool = POOLS[stack]
    declared = Declared(data["grants"], pool.user_account, pool.bucket_account, dict(pool.users))
    # Also every pool user without a grant on a bucket: they get nothing there (see access_check).
    assert mismatches(run, declared) == []


@budget(40)
@given(case=valid_file(levels_only=False))
def test_random_valid_files_with_explicit_actions_lint_clean(case: tuple[str, dict[str, Any]]) -> None:
    stack, data = case
    run = run_file(stack, as_yaml(data))
    assert run.error is None, run.error
    assert run.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert lint_run(run) == []


# --- Invalid and garbage files --------------------------------------------------------------------------


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["read", "s3:*", "*", "arn:aws:iam::999988887777:root", "grants", "", "🪣", "ö" * 70])
    | st.integers(min_value=100, max_value=20_000).map(lambda n: "a" * n)
)
garbage = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def _not_list_of_text(value: Any) -> bool:
    return not (isinstance(value, list) and all(isinstance(item, str) for item in value))


# A wrong value for each field, of a type the strict model can never accept.
WRONG_VALUE: dict[str, st.SearchStrategy[Any]] = {
    "name": garbage.filter(lambda v: not isinstance(v, str)),
    "bucket": garbage.filter(lambda v: not isinstance(v, str) and v is not None),
    "access": garbage.filter(lambda v: v not in LEVELS and v is not None),
    "users": garbage.filter(_not_list_of_text),
    "roles": garbage.filter(_not_list_of_text),
    "buckets": garbage.filter(lambda v: _not_list_of_text(v) and v is not None),
    "prefixes": garbage.filter(lambda v: _not_list_of_text(v) and v is not None),
}


@st.composite
def broken_file(draw: st.DrawFn) -> tuple[str, str]:
    """A valid file with one thing broken: a field of the wrong type, an unknown key, or a required key gone."""
    stack, data = draw(valid_file(levels_only=False))
    target = draw(st.sampled_from(data["grants"]))
    how = draw(st.sampled_from(["wrong-value", "unknown-key", "missing-key", "top-level"]))
    if how == "wrong-value":
        field = draw(st.sampled_from(sorted(WRONG_VALUE)))
        if field in {"bucket", "buckets"}:
            target.pop("bucket", None)
            target.pop("buckets", None)
        target[field] = draw(WRONG_VALUE[field])
    elif how == "unknown-key":
        key = draw(st.text(min_size=1, max_size=20).filter(lambda k: k not in target and k != "description"))
        target[key] = draw(garbage)
    elif how == "missing-key":
        del target[draw(st.sampled_from(["name", "users"]))]
    else:
        data = draw(
            st.sampled_from(["grants", "extra"]).flatmap(
                lambda key: (
                    garbage.filter(lambda v: not isinstance(v, list)).map(lambda v: {**data, "grants": v})
                    if key == "grants"
                    else garbage.map(lambda v: {**data, "extraGrants": v})
                )
            )
        )
    return stack, as_yaml(data)


@budget(150)
@given(case=broken_file())
def test_a_broken_field_gives_the_clean_problem_list(case: tuple[str, str]) -> None:
    assert_refused(run_file(*case))


def _is_grants_document(text: str | bytes) -> bool:
    """Whether the text parses to a mapping with a 'grants' list, the one shape that could be valid."""
    try:
        data = yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - anything PyYAML cannot read is garbage, which is what we want
        return False
    return isinstance(data, dict) and isinstance(data.get("grants"), list)


@budget(150)
@given(data=garbage, stack=st.sampled_from(sorted(POOLS)))
def test_a_garbage_document_gives_the_clean_problem_list(data: Any, stack: str) -> None:
    text = as_yaml(data)
    if _is_grants_document(text):
        text = as_yaml({"grants": data, "grantz": 1})  # keep it garbage
    assert_refused(run_file(stack, text))


def _nested(depth: int, opener: str, closer: str) -> str:
    return "grants: " + opener * depth + "1" + closer * depth


raw_text = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.integers(min_value=30, max_value=1500).map(lambda n: _nested(n, "[", "]")),
    st.integers(min_value=30, max_value=1500).map(lambda n: _nested(n, "{a: ", "}")),
    st.integers(min_value=30, max_value=600).map(
        lambda n: "grants:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(1, n))
    ),
    st.integers(min_value=4300, max_value=20_000).map(lambda n: "grants:\n  - name: " + "9" * n),
    st.sampled_from(
        [
            "a: &a [*a]\ngrants: *a",
            "grants: &g [{name: x, users: *g}]",
            "grants:\n  - name: 2020-13-45",
            "grants: !!int nope",
            "grants: !!timestamp nope",
            "grants: !!bool nope",
            "grants: !!binary '#'",
            "grants: !!python/object:os.system ls",
            'grants:\n  - name: "\\ud800"\n    users: [u01]\n    bucket: reports-bucket\n    access: read',
            'grants:\n  - name: x\n    prefixes: ["\\udfff"]',
            "grants: [\n",
            "\ufeffgrants: {",
            "\t\tgrants:\n\t- x",
            "grants:\n  - name: x\n  - name: x\n    name: y",
            "---\ngrants: []\n---\ngrants: []\n",
        ]
    ),
)


@st.composite
def billion_laughs(draw: st.DrawFn) -> str:
    fan_out = draw(st.integers(min_value=5, max_value=12))
    depth = draw(st.integers(min_value=5, max_value=9))
    lines = ["a0: &a0 [" + ", ".join(["lol"] * fan_out) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan_out) + "]" for i in range(1, depth)]
    return "\n".join([*lines, f"grants: *a{depth - 1}"])


@budget(100)
@given(text=raw_text | billion_laughs(), stack=st.sampled_from(sorted(POOLS)))
def test_text_that_is_not_a_grants_file_gives_the_clean_problem_list(text: str, stack: str) -> None:
    if _is_grants_document(text):
        text += "\nnot-a-key: [\n"
    assert_refused(run_file(stack, text))


@budget(60)
@given(content=st.binary(min_size=1, max_size=300), stack=st.sampled_from(sorted(POOLS)))
def test_bytes_that_are_not_utf8_text_give_the_clean_problem_list(content: bytes, stack: str) -> None:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        assert_refused(run_file(stack, content))
        return
    if _is_grants_document(text):
        return  # a few bytes that happen to be a grants file are not garbage
    assert_refused(run_file(stack, content))
