"""The package's layers: a lower layer never imports a higher one, and no module lies loose in repcap/.

Every ``import`` in the package is read with :mod:`ast` (imports inside functions too: a lazy import
of a higher layer is still a dependency on it) and mapped to the layer it names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: What each layer may import besides itself and the package root (``__version__``). The order is the
#: pipeline of the book: sources <- similarity <- studies <- book <- cli, with laws <- geometry <- packing,
#: all standing on the ground floor ``common`` (shared plumbing, which imports only ``errors``);
#: similarity reads the class rule from laws.
_BELOW_BOOK = {"errors", "common", "catalog", "sources", "similarity", "laws", "geometry", "packing"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "common": {"errors"},
    "catalog": {"errors", "common"},
    "sources": {"errors", "common", "catalog"},
    "similarity": {"errors", "common", "catalog", "sources", "laws"},
    "laws": {"errors", "common"},
    "geometry": {"errors", "common", "laws"},
    "packing": {"errors", "common", "laws", "geometry"},
    "studies": _BELOW_BOOK,
    "book": _BELOW_BOOK | {"studies"},
    "cli": _BELOW_BOOK | {"studies", "book"},
}
#: The only modules allowed directly in repcap/; everything else lives in a layer's folder.
LOOSE_MODULES = {"__init__.py", "catalog.py", "errors.py"}


def _module_name(path: Path, package_root: Path) -> str:
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Absolute names of the repcap modules (or names) an AST imports, relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from repcap import x" and "from repcap.pkg import x" may name sub-modules.
            found.update(f"{target}.{a.name}" for a in node.names)
    return {name for name in found if name == "repcap" or name.startswith("repcap.")}


def _layer(name: str) -> str:
    parts = name.split(".")
    if len(parts) < 2 or parts[1] == "__version__":
        return "root"
    return parts[1]


def layer_violations(package_root: Path) -> list[str]:
    """Every import in ``package_root`` (a folder named ``repcap``) that reaches a forbidden layer."""
    problems = []
    for path in sorted(package_root.rglob("*.py")):
        module = _module_name(path, package_root)
        own = _layer(module) if "." in module else "root"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in sorted(_imported(tree, module, path.name == "__init__.py")):
            target = _layer(name)
            if target in {own, "root"}:
                continue
            if own == "root" or target not in ALLOWED.get(own, set()):
                problems.append(f"{path.relative_to(package_root.parent)}: layer {own!r} imports "
                                f"{name} (layer {target!r})")
    return problems


def test_every_layer_is_known():
    folders = {p.name for p in (ROOT / "repcap").iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in (ROOT / "repcap").glob("*.py")} - {"__init__"}
    assert folders | modules == set(ALLOWED)


def test_no_loose_modules():
    loose = {p.name for p in (ROOT / "repcap").glob("*.py")}
    assert loose <= LOOSE_MODULES, (f"modules outside a layer's folder: {sorted(loose - LOOSE_MODULES)}; "
                                    "put each in the folder of its layer")


def test_no_layer_imports_a_higher_one():
    assert layer_violations(ROOT / "repcap") == []


@pytest.mark.parametrize("source, bad", [
    ("from repcap.book.plots import COLORS\n", True),      # geometry -> book
    ("def f():\n    from repcap.studies import survey\n", True),  # a lazy import counts too
    ("from repcap import cli\n", True),                    # "from repcap import x" names a module
    ("from ..packing import grid\n", True),                # relative import of a higher layer
    ("from repcap.laws import capacity\nfrom . import null\n", False),
    ("from repcap.common.files import atomic_write_text\n", False),  # every layer stands on common
])
def test_checker_catches_a_higher_import(tmp_path, source, bad):
    package = tmp_path / "repcap"
    (package / "geometry").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "geometry" / "__init__.py").write_text("")
    (package / "geometry" / "probe.py").write_text(source)
    assert bool(layer_violations(package)) is bad


def test_common_is_the_ground_floor(tmp_path):
    """``common`` may import nothing of the package but ``errors``."""
    package = tmp_path / "repcap"
    (package / "common").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "common" / "__init__.py").write_text("")
    (package / "common" / "probe.py").write_text("from repcap.sources import cache\n")
    assert layer_violations(package)
    (package / "common" / "probe.py").write_text("from repcap.errors import StorageError\n")
    assert layer_violations(package) == []
