"""The examples in the docstrings of repcap.geometry and repcap.laws run, and every public function has one.

Each public function and class of these two packages carries a numpy-style ``Examples`` section with
``>>>`` lines, as SciPy and scikit-learn do, showing a value the reader can check against the paper or
a closed form. This file runs them with :mod:`doctest` and fails with doctest's report. It is a test
file rather than ``--doctest-modules`` in the pytest configuration so that ``testpaths`` stays
``["tests"]``, a targeted run (``pytest tests/test_laws.py``) does not collect the package as well,
and one place both runs the examples and checks that a new function cannot arrive without one.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import io
import pkgutil
import re

import pytest

import repcap.geometry
import repcap.laws

PACKAGES = (repcap.geometry, repcap.laws)
#: Public functions that may go without an example for now, with the reason.
EXEMPT: dict[str, str] = {}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
_EXAMPLES_HEADER = re.compile(r"^Examples\n-{8,}$", re.MULTILINE)


def _module_names() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return sorted(names)


MODULES = _module_names()


def _public(module) -> dict[str, object]:
    """Functions and classes defined in ``module`` (not imported into it) whose names lack a leading _."""
    return {f"{module.__name__}.{name}": obj for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        runner.run(test, out=report.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed:\n{report.getvalue()}"
    if _public(module):
        assert result.attempted > 0, f"{name} has public functions but no example ran"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_function_has_an_example(name):
    missing = []
    for qualname, obj in _public(importlib.import_module(name)).items():
        if qualname in EXEMPT:
            continue
        doc = inspect.getdoc(obj) or ""
        if not (_EXAMPLES_HEADER.search(doc) and doctest.DocTestParser().get_examples(doc)):
            missing.append(qualname)
    assert not missing, ("public functions without an 'Examples' section of >>> lines (numpy docstring "
                         f"style): {', '.join(missing)}")


def test_exemptions_name_existing_functions():
    public = {q for name in MODULES for q in _public(importlib.import_module(name))}
    assert set(EXEMPT) <= public, sorted(set(EXEMPT) - public)
