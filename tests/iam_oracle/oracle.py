"""Ask an independent IAM simulator whether a request is allowed.

The simulator is @cloud-copilot/iam-simulate (npm, pinned in package.json beside this file), which
implements AWS's policy evaluation logic on its own: identity and resource policies, same- and
cross-account requests, and every condition operator. The tests ask it what users can do with the
policies the program generated, instead of comparing those policies with the program's constants.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORACLE_DIR = Path(__file__).resolve().parent


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
        context = {"s3:ResourceAccount": self.resource_account, **self.context}
        simulation: dict[str, Any] = {
            "request": {
                "principal": self.principal,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": self.resource_account},
                "contextVariables": context,
            },
            "identityPolicies": [{"name": f"policy{i}", "policy": p} for i, p in enumerate(self.identity_policies)],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if self.resource_policy is not None:
            simulation["resourcePolicy"] = self.resource_policy
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
