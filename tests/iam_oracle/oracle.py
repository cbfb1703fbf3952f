"""Ask an independent IAM simulator whether a request is allowed.

The simulator is @cloud-copilot/iam-simulate (npm, pinned in package.json beside this file), which
implements AWS's policy evaluation logic on its own: identity and resource policies, same- and
cross-account requests, and every condition operator. The tests ask it what users can do with the
policies the program generated, instead of comparing those policies with the program's constants.
"""

from __future__ import annotations

import json
import shutil
import subprocess
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
