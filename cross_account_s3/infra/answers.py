"""The narrow interface between the offline runner and whatever stands in for AWS when the program runs offline."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol


class InvokeFailed(Exception):
    """Raised by `Answers` to fail an invoke; its text is what the provider would send (see provider_contract)."""


class Answers(Protocol):
    """The narrow interface through which a stand-in for AWS answers the program's invokes."""

    def answer(self, token: str, args: Mapping[str, Any], account: str) -> dict[str, Any]:
        """The invoke's payload, or `InvokeFailed` with the provider's exact error text."""
        ...

    def stack_outputs(self, stack: str) -> dict[str, Any]:
        """The outputs of the stack's last deployment, as a `StackReference` reads them ({}: never deployed)."""
        ...


def stable_digits(text: str, count: int) -> str:
    """Digits derived from text, the same in every process (unlike hash(), which Python salts per run)."""
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16))[:count]
