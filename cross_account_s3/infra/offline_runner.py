"""Run the real Pulumi program in-process under Pulumi's mock runtime, and record what it registers.

This is how `plan` (and the tests) see exactly what `pulumi preview` would register, without the
Pulumi CLI, a provider plugin, credentials or a network. The program's lookups are answered by an
`Answers` object, per the account of the provider each went through: `plan` passes the assumed
world (`infra.assumed_world`), and the tests pass their fake AWS.
"""

from __future__ import annotations

import asyncio
import json
import logging
import runpy
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

from ..core.settings import NAMESPACE, is_switch
from ..core.stack_file import stack_config
from .answers import Answers, InvokeFailed, stable_digits
from .assumed_world import assumed_world
from .garbage_collection import unfrozen_after_each_run

PROVIDER_TYPE = "pulumi:providers:aws"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
PROJECT = "cross-account-s3"
SIMULATE_ACCESS = f"{NAMESPACE}:simulateAccess"


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
    aliases: tuple[str, ...] = ()  # the former URNs the resource keeps its identity through


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
    error: str | None  # the clean RunError message, when the program refused its input (or the engine's)
    warnings: list[str]

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def by_name(self, name: str) -> Registration:
        (found,) = [r for r in self.registrations if r.name == name]
        return found


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
        self.duplicate_urns: list[str] = []  # registered twice: the engine would stop the preview
        self._urns: set[str] = set()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN Pulumi itself gives: the root stack's type is not part of its children's type chain.

        The SDK's mock prefixes every child's type with its parent's, the root stack included, which the
        engine does not do; URNs here must join with `pulumi stack export`.
        """
        if parent.split("::")[2:3] == [ROOT_STACK_TYPE]:
            parent = ""
        return str(super().make_urn(parent, type_, name))

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        _keep_worker_loop()
        if request.type != ROOT_STACK_TYPE:
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
            if response.urn in self._urns:
                self.duplicate_urns.append(response.urn)
            self._urns.add(response.urn)
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    parent=request.parent,
                    provider=request.provider,
                    inputs=dict(inputs),
                    aliases=tuple(self._alias_urn(request, alias) for alias in request.aliases),
                )
            )
        return response

    def _alias_urn(self, request: Any, alias: Any) -> str:
        """The URN an alias names, as the engine completes a spec: what it leaves out is the resource's own."""
        if alias.WhichOneof("alias") == "urn":
            return str(alias.urn)
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        return self.make_urn(parent, spec.type or request.type, spec.name or request.name)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        try:
            return super().Invoke(request)  # type: ignore[no-untyped-call]
        except InvokeFailed as failure:
            # The contract's texts are what the program receives; the SDK adds "invoke of T failed: "
            # itself when it raises, so the engine's part is handed over without it.
            raise _InvokeError(str(failure).removeprefix(f"invoke of {request.tok} failed: ")) from None
        finally:
            _keep_worker_loop()


class _AnsweringMocks(pulumi_mocks.Mocks):
    """Answers resource registrations with realistic state, and invokes from `Answers`, per account."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
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
            state["uniqueId"] = "AGPA" + stable_digits(state["name"], 16)
            return state["name"], state
        if args.typ == STACK_REFERENCE_TYPE:  # a read: what the referenced stack's last deployment exported
            stack = str(state.get("name") or args.name)
            return stack, {"name": stack, "outputs": self.answers.stack_outputs(stack), "secretOutputNames": []}
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
        return self.answers.answer(args.token, dict(args.args), account_id or ""), []


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


def run_program(
    project_root: Path,
    stack: str,
    *,
    config: Mapping[str, str] | None = None,
    world: Answers | None = None,
    program: Path | None = None,
) -> ProgramRun:
    """Run `__main__.py` (or `program`) for `stack` under mocks, with the stack file's config plus `config`.

    `config` keys are full keys such as "cross-account-s3:grantsFile"; a value of "" removes the key.
    Without a `world`, the run assumes one (`plan`): nothing there can answer AWS's policy simulator,
    so the simulation is turned off, and `plan` says it happens in `pulumi preview`.
    """
    merged = {**stack_config(project_root, stack), **(config or {})}
    if world is None and is_switch(merged.get(SIMULATE_ACCESS, "true")):
        # A bad value is left as it is, for the program to refuse it exactly as `pulumi preview` would.
        merged[SIMULATE_ACCESS] = "false"
    mocks = _AnsweringMocks(world if world is not None else assumed_world(project_root, stack, merged))
    monitor = _RecordingMonitor(mocks)
    logger, collector = _collecting_logger()
    # `set_mocks` keeps an existing root Stack resource; a run must start from none, or its resources
    # would hang under the previous run's stack (another stack's URN) and its exports would pile up there.
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=True, monitor=monitor, logger=logger)
    pulumi.runtime.set_all_config({key: value for key, value in merged.items() if value != ""})

    error: str | None = None
    main = str(program or project_root / "__main__.py")

    def run() -> None:
        runpy.run_path(main, run_name="__main__")

    try:
        with unfrozen_after_each_run():
            pulumi.runtime.sync_await._sync_await(pulumi.runtime.stack.run_pulumi_func(run))
    except pulumi.RunError as failure:
        error = str(failure)
    if error is None and monitor.duplicate_urns:
        # What the engine says, and then it stops (pulumi/pulumi pkg/diag/errors.go,
        # GetDuplicateResourceURNError): one resource registered twice must never read as one.
        error = "\n".join(
            f"Duplicate resource URN '{urn}'; try giving it a unique name" for urn in monitor.duplicate_urns
        )
    root = pulumi_settings.get_root_resource()
    outputs = dict(getattr(root, "outputs", {}) or {})
    return ProgramRun(
        registrations=monitor.registrations,
        invocations=mocks.invocations,
        outputs=outputs,
        error=error,
        warnings=collector.warnings,
    )


# The event loop the SDK's mock monitor makes for each worker thread it answers on (by thread), kept so that
# `release_event_loops` can close them; see there.
_WORKER_LOOPS: dict[int, asyncio.AbstractEventLoop] = {}


def _keep_worker_loop() -> None:
    thread = threading.get_ident()
    if thread not in _WORKER_LOOPS:
        _WORKER_LOOPS[thread] = pulumi.runtime.sync_await._ensure_event_loop()  # type: ignore[no-untyped-call]


def release_event_loops() -> None:
    """Close every event loop the runs made, after ending the threads that answered invokes, before Python exits.

    The SDK's mock monitor answers each registration and invoke on a worker thread of the loop's default
    executor, and gives each such thread an event loop of its own that nothing closes. Such a loop, left
    for the garbage collector, can be finalised after its own self-pipe socket, and then prints
    "Exception ignored ... Invalid file descriptor: -1" with a traceback on stderr of a clean run. For a
    command that is done with runs: a closed loop runs nothing more.
    """
    loop: asyncio.AbstractEventLoop = pulumi.runtime.sync_await._ensure_event_loop()  # type: ignore[no-untyped-call]
    if loop.is_running() or loop.is_closed():
        return
    loop.run_until_complete(loop.shutdown_default_executor())  # the worker threads end; their loops are idle
    for worker_loop in _WORKER_LOOPS.values():
        if worker_loop is not loop and not worker_loop.is_closed():
            worker_loop.close()
    _WORKER_LOOPS.clear()
    loop.close()
