"""Run the real Pulumi program in-process under Pulumi's mock runtime, and record what it registers.

This is how the tests and the `plan` command see exactly what `pulumi preview` would register,
without the Pulumi CLI, a provider plugin, credentials or a network. Lookups are answered from a
`FakeWorld` of accounts, users and buckets, per the provider (and so the account) they were made
through, which also proves each lookup goes through the right account.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

from ..core import naming
from ..core.grants_directory import read_grants
from ..core.problems import InputProblems, Problem

PROVIDER_TYPE = "pulumi:providers:aws"


@dataclass
class FakeAccount:
    """What one AWS account holds, as far as this program's lookups can see."""

    users: dict[str, str] = field(default_factory=dict)  # name -> path, such as "/" or "/ci/"
    buckets: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # name -> current policy
    denied: set[str] = field(default_factory=set)  # user and bucket names whose lookups answer AccessDenied


@dataclass
class FakeWorld:
    """The accounts the lookups answer from. `permissive` assumes every user and bucket exists unpolicied.

    `plan` uses the permissive world, because it runs without credentials and cannot look.
    """

    accounts: dict[str, FakeAccount] = field(default_factory=dict)
    permissive: bool = False
    user_ids: dict[str, str] = field(default_factory=dict)  # ARN -> AIDA id; defaults are derived
    assumed_paths: dict[str, str] = field(default_factory=dict)  # permissive: user name -> path the file gives

    def account(self, account_id: str) -> FakeAccount:
        return self.accounts.setdefault(account_id, FakeAccount())


@dataclass(frozen=True)
class Registration:
    """One resource registration, as the engine would receive it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str  # the provider reference "urn::id", or "" for components and providers
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class Invocation:
    token: str
    args: Mapping[str, Any]
    account: str | None  # the account of the provider the invoke went through


@dataclass
class ProgramRun:
    """Everything one run of the program did."""

    registrations: list[Registration]
    invocations: list[Invocation]
    outputs: dict[str, Any]
    error: str | None  # the clean RunError message, when the program refused its input
    warnings: list[str]

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def by_name(self, name: str) -> Registration:
        (found,) = [r for r in self.registrations if r.name == name]
        return found


class LookupFailed(Exception):
    """A lookup the fake world answers with an AWS error, as a provider would (NoSuchEntity, 404, ...)."""


class _InvokeError(grpc.RpcError):  # type: ignore[misc]  # grpc ships no type stubs
    """How the engine reports a failed invoke: a gRPC error, which the SDK raises from the invoke only.

    A plain exception from a mock would instead be recorded as an unhandled RPC failure and end the
    run, even when the program handles it, which the real engine never does.
    """

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping each registration's parent and provider for the tree."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    parent=request.parent,
                    provider=request.provider,
                    inputs=dict(inputs),
                )
            )
        return response

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        try:
            return super().Invoke(request)  # type: ignore[no-untyped-call]
        except LookupFailed as failure:
            raise _InvokeError(str(failure)) from None


def _stable_digits(text: str, count: int) -> str:
    """Digits derived from text, the same in every process (unlike hash(), which Python salts per run)."""
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16))[:count]


class _WorldMocks(pulumi_mocks.Mocks):
    """Answers resource registrations with realistic state and lookups from the fake world."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world
        self.provider_accounts: dict[str, str] = {}  # provider resource name -> account ID
        self.invocations: list[Invocation] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == PROVIDER_TYPE:
            allowed = state.get("allowedAccountIds") or []
            allowed = json.loads(allowed) if isinstance(allowed, str) else allowed
            self.provider_accounts[args.name] = allowed[0] if allowed else ""
            return f"{args.name}-id", state
        if args.typ == "aws:iam/group:Group":
            account = self._account_of(args.provider)
            state["arn"] = f"arn:aws:iam::{account}:group{state.get('path', '/')}{state['name']}"
            state["uniqueId"] = "AGPA" + _stable_digits(state["name"], 16)
            return state["name"], state
        return f"{args.name}-id", state

    def _account_of(self, provider_ref: str | None) -> str | None:
        if not provider_ref:
            return None
        urn = provider_ref.split("::")
        name = urn[-2] if len(urn) >= 2 else ""
        return self.provider_accounts.get(name)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        account_id = self._account_of(args.provider)
        self.invocations.append(Invocation(token=args.token, args=dict(args.args), account=account_id))
        account = self.world.account(account_id or "")
        name = args.args.get("userName") or args.args.get("bucket")
        if name in account.denied:
            raise LookupFailed(
                f"reading {name}: operation error: https response error StatusCode: 403, "
                "api error AccessDenied: Access Denied"
            )
        if args.token == "aws:iam/getUser:getUser":
            asked = args.args["userName"]
            # IAM finds a user whatever the case of the name asked for, and answers with its own spelling.
            name = next((known for known in account.users if known.lower() == asked.lower()), asked)
            assumed = self.world.assumed_paths.get(name, "/") if self.world.permissive else None
            path = account.users.get(name, assumed)
            if path is None:
                raise LookupFailed(
                    f"reading IAM User ({name}): NoSuchEntity: The user with name {name} cannot be found."
                )
            arn = f"arn:aws:iam::{account_id}:user{path}{name}"
            user_id = self.world.user_ids.get(arn, "AIDA" + _stable_digits(arn, 17))
            return {"arn": arn, "path": path, "userId": user_id, "userName": name, "id": name}, []
        if args.token == "aws:s3/getBucketPolicy:getBucketPolicy":
            bucket = args.args["bucket"]
            if bucket not in account.buckets and not self.world.permissive:
                raise LookupFailed(
                    f"reading S3 Bucket Policy ({bucket}): NoSuchBucket: The specified bucket does not exist"
                )
            policy = account.buckets.get(bucket)
            if policy is None:
                raise LookupFailed(
                    f"reading S3 Bucket Policy ({bucket}): NoSuchBucketPolicy: The bucket policy does not exist"
                )
            return {"bucket": bucket, "policy": json.dumps(policy), "id": bucket}, []
        raise Exception(f"the mock world does not answer {args.token}")


class _Yaml12Loader(yaml.SafeLoader):
    """Reads plain digit strings as YAML 1.2 does, as the Pulumi CLI (go-yaml) does: `012345678901` is the
    decimal number 12345678901, not a string (PyYAML's YAML 1.1 reading, when it is no valid octal) and not
    an octal number. So an unquoted account ID reaches the program here exactly as it does under Pulumi."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(str(loader.construct_scalar(node)).replace("_", ""), 10)


_DECIMAL_TAG = "tag:cross-account-s3:decimal"
_DECIMAL = re.compile(r"^[-+]?[0-9]+$")
# Checked before PyYAML's own int and float patterns for the same first characters.
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(_DECIMAL_TAG, _DECIMAL), *resolvers] if first in "+-0123456789" else list(resolvers)
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_constructor(_DECIMAL_TAG, _decimal)


def stack_config(project_root: Path, stack: str) -> dict[str, str]:
    """The stack file's config as Pulumi hands it to a program: every value as text, objects as JSON."""
    path = project_root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader) or {}
    except (yaml.YAMLError, ValueError) as error:
        mark = getattr(error, "problem_mark", None)
        raise InputProblems(
            [
                Problem.in_file(
                    path.name,
                    f"the stack file is not valid YAML: {error}".splitlines()[0],
                    "correct its YAML syntax; `pulumi preview` cannot read it either",
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    config: dict[str, str] = {}
    for key, value in ((data.get("config") if isinstance(data, dict) else None) or {}).items():
        if isinstance(value, (dict, list)):
            config[key] = json.dumps(value)
        elif isinstance(value, bool):
            config[key] = str(value).lower()
        else:
            config[key] = str(value)
    return config


class _WarningCollector(logging.Handler):
    """Collects the program's warnings (pulumi.log.warn) so callers can show or assert them."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.warnings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.warnings.append(record.getMessage())


def _collecting_logger() -> tuple[logging.Logger, _WarningCollector]:
    """A private logger per run, so runs in one process never share or print each other's warnings."""
    logger = logging.Logger("cross-account-s3.mock-run", level=logging.WARNING)
    collector = _WarningCollector()
    logger.addHandler(collector)
    return logger, collector


def _assumed_paths(project_root: Path, stack: str, config: Mapping[str, str]) -> dict[str, str]:
    """User paths that the grants file's user ARNs give, so a permissive world agrees with the file."""
    grants_file = config.get("cross-account-s3:grantsFile") or f"grants/{stack}.yaml"
    try:
        loaded = read_grants(project_root / grants_file, grants_file, None)
    except InputProblems:
        return {}  # the program reports the file's problems itself
    arns = (naming.USER_ARN.fullmatch(user) for grant in loaded.grants for user in grant.users)
    return {match["name"]: match["path"] for match in arns if match}


def run_program(
    project_root: Path,
    stack: str,
    *,
    config: Mapping[str, str] | None = None,
    world: FakeWorld | None = None,
    program: Path | None = None,
) -> ProgramRun:
    """Run `__main__.py` (or `program`) for `stack` under mocks, with the stack file's config plus `config`.

    `config` keys are full keys such as "cross-account-s3:grantsFile"; a value of "" removes the key.
    """
    merged = {**stack_config(project_root, stack), **(config or {})}
    if world is None:
        world = FakeWorld(permissive=True, assumed_paths=_assumed_paths(project_root, stack, merged))
    mocks = _WorldMocks(world)
    monitor = _RecordingMonitor(mocks)
    logger, collector = _collecting_logger()
    # `set_mocks` keeps an existing root Stack resource; a run must start from none, or its resources
    # would hang under the previous run's stack (another stack's URN) and its exports would pile up there.
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks, project="cross-account-s3", stack=stack, preview=True, monitor=monitor, logger=logger
    )
    pulumi.runtime.set_all_config({key: value for key, value in merged.items() if value != ""})

    error: str | None = None
    main = str(program or project_root / "__main__.py")

    def run() -> None:
        runpy.run_path(main, run_name="__main__")

    try:
        pulumi.runtime.sync_await._sync_await(pulumi.runtime.stack.run_pulumi_func(run))
    except pulumi.RunError as failure:
        error = str(failure)
    root = pulumi_settings.get_root_resource()
    outputs = dict(getattr(root, "outputs", {}) or {})
    return ProgramRun(
        registrations=monitor.registrations,
        invocations=mocks.invocations,
        outputs=outputs,
        error=error,
        warnings=collector.warnings,
    )
