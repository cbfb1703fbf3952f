"""The core imports nothing from Pulumi, so its rules run (and are tested) without the Pulumi SDK."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

CHECK = """
import importlib, pkgutil, sys
import cross_account_s3.core as core
for module in pkgutil.iter_modules(core.__path__):
    importlib.import_module(f"cross_account_s3.core.{module.name}")
loaded = sorted(name for name in sys.modules if name == "pulumi" or name.startswith(("pulumi.", "pulumi_")))
print(",".join(loaded))
"""


def test_importing_every_core_module_loads_no_pulumi_package() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"the core pulled in {result.stdout.strip()}"
