"""The install routes agree: environment.yml mirrors pyproject.toml; CI pins satisfy the ranges."""

from __future__ import annotations

import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT


def _pyproject_requirements() -> dict[str, Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in ("hf", "book", "test", "lab", "cluster"):
        reqs += meta["optional-dependencies"][extra]
    return {Requirement(r).name.lower(): Requirement(r) for r in reqs}


def test_environment_yml_mirrors_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    mirrored = {Requirement(r).name.lower(): Requirement(r) for r in pip if not r.startswith("-e")}
    expected = _pyproject_requirements()
    assert set(mirrored) == set(expected)
    for name, req in expected.items():
        assert str(mirrored[name].specifier) == str(req.specifier), name


def test_ci_pins_satisfy_the_package_ranges_and_no_exact_pins_in_metadata():
    pins = {}
    for line in (ROOT / "requirements" / "ci.txt").read_text().splitlines():
        if line and not line.startswith("#") and "==" in line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = Version(version)
    for name, req in _pyproject_requirements().items():
        assert "==" not in str(req.specifier), f"exact pin in package metadata: {req}"
        key = name.replace("_", "-")
        if key in pins:
            assert req.specifier.contains(pins[key], prereleases=True), f"{key}=={pins[key]} outside {req}"
    assert pins["torch"] == Version("2.13.0")  # the CPU wheel that lies on the CI machine
    assert Version("1.0.4") <= pins["jupyter-book"] < Version("2")
