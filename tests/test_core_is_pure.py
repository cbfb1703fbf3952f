"""The layers: the core imports nothing from Pulumi (its rules run without the SDK), and no layer imports upward."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


# The layering contract: each layer imports only the layers below it.
#   core   -> nothing of this package but core (and no Pulumi, above)
#   infra  -> core, and provider_contract (the table of what pulumi-aws's invokes answer)
#   review -> core and infra
ALLOWED_LAYERS = {
    "core": {"core"},
    "infra": {"core", "infra", "provider_contract"},
    "review": {"core", "infra", "review", "provider_contract"},
}
PACKAGE = REPO_ROOT / "cross_account_s3"


def _imported_layers(path: Path, package: Path = PACKAGE) -> set[str]:
    """The other package layers (core, infra, review; "" for the package's top) a module imports."""
    inside = path.relative_to(package)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[list[str]] = []
        if isinstance(node, ast.ImportFrom) and node.level:  # relative: from the module's own package upwards
            base = list(inside.parent.parts)[: len(inside.parent.parts) - (node.level - 1)]
            module = node.module.split(".") if node.module else []
            targets = [[*base, *module]] if module else [[*base, alias.name] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package.name:
            targets = [(node.module or "").split(".")[1:]]
        elif isinstance(node, ast.Import):
            targets = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == package.name]
        found.update(target[0] if target else "" for target in targets)
    found.discard(inside.parts[0])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED_LAYERS))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    modules = sorted((PACKAGE / layer).rglob("*.py"))
    assert modules, f"no modules in {layer}"
    crossings = {
        str(module.relative_to(REPO_ROOT)): sorted(_imported_layers(module) - ALLOWED_LAYERS[layer])
        for module in modules
    }
    assert {module: layers for module, layers in crossings.items() if layers} == {}


def test_the_contract_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check can fail: a core module importing infra, relatively or by name, is caught."""
    core = tmp_path / "cross_account_s3" / "core"
    core.mkdir(parents=True)
    (core / "bad.py").write_text(
        "from ..infra import stack\nimport cross_account_s3.review.diff\nfrom . import naming\n"
    )
    found = _imported_layers(core / "bad.py", tmp_path / "cross_account_s3")
    assert found - ALLOWED_LAYERS["core"] == {"infra", "review"}
