"""Ask an independent IAM simulator whether a request is allowed.

The simulator is @cloud-copilot/iam-simulate (npm, pinned in package.json beside this file), which
implements AWS's policy evaluation logic on its own: identity and resource policies, same- and
cross-account requests, and every condition operator. The tests ask it what users can do with the
policies the program generated, instead of comparing those policies with the program's constants.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORACLE_DIR = Path(__file__).resolve().parent

# The simulator (0.1.x) drops request context keys of the form `kms:EncryptionContext:<key>`: it keeps a
# key only if it is in the action's list of condition keys, or matches a variable key split at a '/'.
# The list holds the documented template `kms:EncryptionContext:${EncryptionContextKey}` literally, so a
# condition on `kms:EncryptionContext:aws:s3:arn` never finds its key and never matches. The copies the
# simulator sees therefore rename that key to the template, identically in every policy's conditions and
# in the request. Only the key's name changes: the operator, the values and their case stay as written,
# so string semantics are kept. Real IAM never sees this: the template is not a valid condition key.
SIMULATOR_CONTEXT_KEY = "kms:EncryptionContext:${EncryptionContextKey}"
_ENCRYPTION_CONTEXT_KEY = re.compile(r"kms:EncryptionContext:(?!\$\{)(?P<name>.+)", re.IGNORECASE)


def _context_key_names(names: list[str]) -> set[str]:
    return {m["name"] for name in names if (m := _ENCRYPTION_CONTEXT_KEY.fullmatch(name))}


def _renamed_key(name: str) -> str:
    return SIMULATOR_CONTEXT_KEY if _ENCRYPTION_CONTEXT_KEY.fullmatch(name) else name


def for_simulator(policy: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `policy` whose `kms:EncryptionContext:<key>` condition keys read as the simulator's template."""
    statements = policy.get("Statement", [])
    copied = []
    for statement in statements if isinstance(statements, list) else [statements]:
        statement = dict(statement)
        if isinstance(statement.get("Condition"), Mapping):
            statement["Condition"] = {
                operator: {_renamed_key(key): value for key, value in keys.items()}
                for operator, keys in statement["Condition"].items()
            }
        copied.append(statement)
    return {**policy, "Statement": copied}


def _condition_keys(policy: Mapping[str, Any]) -> list[str]:
    statements = policy.get("Statement", [])
    return [
        key
        for statement in (statements if isinstance(statements, list) else [statements])
        for keys in (statement.get("Condition") or {}).values()
        for key in keys
    ]


@dataclass(frozen=True)
class Request:
    """One API call: who, what, on which resource in which account, with which request context."""

    principal: str
    action: str
    resource: str
    resource_account: str
    identity_policies: Sequence[Mapping[str, Any]]
    resource_policy: Mapping[str, Any] | None
    context: Mapping[str, str] = field(default_factory=dict)

    def simulation(self) -> dict[str, Any]:
        policies = [*self.identity_policies, *([self.resource_policy] if self.resource_policy is not None else [])]
        # The rename merges every encryption context key into one: refuse to simulate two different ones.
        names = _context_key_names([*self.context, *(key for p in policies for key in _condition_keys(p))])
        if len(names) > 1:
            raise ValueError(f"the simulator can tell only one encryption context key apart, not {sorted(names)}")
        context = {"s3:ResourceAccount": self.resource_account}
        context.update({_renamed_key(key): value for key, value in self.context.items()})
        simulation: dict[str, Any] = {
            "request": {
                "principal": self.principal,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": self.resource_account},
                "contextVariables": context,
            },
            "identityPolicies": [
                {"name": f"policy{i}", "policy": for_simulator(p)} for i, p in enumerate(self.identity_policies)
            ],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if self.resource_policy is not None:
            simulation["resourcePolicy"] = for_simulator(self.resource_policy)
        return simulation


def evaluate(requests: Sequence[Request]) -> list[str]:
    """'Allowed', 'ImplicitlyDenied' or 'ExplicitlyDenied' for each request, in order."""
    if not requests:
        return []
    node = shutil.which("node")
    if node is None or not (ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise RuntimeError(
            "the IAM simulator is not installed: run `npm ci --prefix tests/iam_oracle` (./run test does)"
        )
    completed = subprocess.run(
        [node, str(ORACLE_DIR / "simulate.mjs")],
        input=json.dumps([request.simulation() for request in requests]),
        capture_output=True,
        text=True,
        check=True,
        cwd=ORACLE_DIR,
        timeout=300,
    )
    results = json.loads(completed.stdout)
    errors = [r for r in results if r["result"] == "Error"]
    if errors:
        raise AssertionError(f"the simulator rejected a policy or request as invalid: {errors[0]['errors']}")
    dropped = [key for r in results for key in r.get("ignored") or [] if "encryptioncontext" in key.lower()]
    if dropped:
        raise AssertionError(f"the simulator ignored the encryption context key {dropped[0]}: its rename failed")
    return [str(r["result"]) for r in results]


def is_allowed(request: Request) -> bool:
    return evaluate([request])[0] == "Allowed"


class _Server:
    """One `node serve.mjs` for the whole test session, answering a list of simulations per line.

    Starting node and loading the simulator's data takes far longer than a simulation, and a program
    run may ask the fake AWS's simulator many times; invokes may arrive from several threads at once.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def ask(self, simulations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        with self._lock:
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(list(simulations)) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        if not line:
            raise RuntimeError("the IAM simulator process ended unexpectedly")
        answers: list[dict[str, Any]] = json.loads(line)
        return answers

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            node = shutil.which("node")
            if node is None or not (ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
                raise RuntimeError(
                    "the IAM simulator is not installed: run `npm ci --prefix tests/iam_oracle` (./run test does)"
                )
            self._process = subprocess.Popen(
                [node, str(ORACLE_DIR / "serve.mjs")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ORACLE_DIR,
            )
            atexit.register(self._stop)
        return self._process

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=10)


_SERVER = _Server()


def analyse(simulations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """For each raw iam-simulate simulation: its result and the statements that matched, by side and effect."""
    return _SERVER.ask(simulations) if simulations else []
