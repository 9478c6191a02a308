"""Profiles and strict notebook-parameter checking (repcap.book.profiles)."""

from __future__ import annotations

import json

import nbformat
import pytest

from repcap.book import profiles
from repcap.errors import ParameterError

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _notebook(tmp_path, params_src: str):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params_src)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(model)")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


PARAMS = 'model: str = "x"\nsample: int = 10\nscale: float = 1.0\nflag: bool = False\n' \
         'names: list[str] = ["a"]\nlimit: int | None = None\nprofile: str = "default"\n'


def test_declared_parameters_read_types_and_defaults(tmp_path):
    decl = profiles.declared_parameters(_notebook(tmp_path, PARAMS))
    assert decl["sample"] == ("int", 10)
    assert decl["names"] == ("list[str]", ["a"])
    assert decl["limit"] == ("int | None", None)


def test_misspelt_parameter_is_an_error_with_suggestion(tmp_path):
    nb = _notebook(tmp_path, PARAMS)
    with pytest.raises(ParameterError, match=r"unknown parameter 'smaple'.*did you mean 'sample'"):
        profiles.validate(nb, {"smaple": 3})


@pytest.mark.parametrize("name,value", [("sample", "10"), ("sample", 2.5), ("flag", 1),
                                        ("names", ["a", 2]), ("model", None), ("sample", True)])
def test_wrongly_typed_parameter_is_an_error(tmp_path, name, value):
    with pytest.raises(ParameterError, match=f"parameter '{name}' must be"):
        profiles.validate(_notebook(tmp_path, PARAMS), {name: value})


def test_int_is_accepted_and_coerced_for_float(tmp_path):
    out = profiles.validate(_notebook(tmp_path, PARAMS), {"scale": 3, "limit": None})
    assert out["scale"] == 3.0 and isinstance(out["scale"], float)
    assert profiles.validate(_notebook(tmp_path, PARAMS), {"limit": 5})["limit"] == 5


def test_unannotated_parameter_is_rejected(tmp_path):
    with pytest.raises(ParameterError, match="must be annotated"):
        profiles.declared_parameters(_notebook(tmp_path, "x = 3\n"))


def test_unknown_profile_or_notebook_is_rejected(tmp_path):
    nb = _notebook(tmp_path, PARAMS)
    table = {"nb": {p: {"sample": 3} for p in profiles.PROFILES}}
    with pytest.raises(ParameterError, match="unknown profile 'fast'"):
        profiles.parameters_for(nb, "fast", table=table)
    with pytest.raises(ParameterError, match="no entry for notebook 'nb'"):
        profiles.parameters_for(nb, "smoke", table={})
    assert profiles.parameters_for(nb, "smoke", table=table) == {"sample": 3, "profile": "smoke"}


def test_every_notebook_has_all_three_profiles():
    table = profiles.load_profiles()
    assert {nb.stem for nb in NOTEBOOKS} <= set(table), "a notebook lacks a block in profiles.yaml"
    for nb in NOTEBOOKS:
        for name in profiles.PROFILES:
            params = profiles.parameters_for(nb, name)  # validates names and types
            assert params["profile"] == name


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_holds_the_default_profile(nb):
    declared = {k: v for k, (_, v) in profiles.declared_parameters(nb).items()}
    for common in profiles.COMMON:
        assert common in declared, f"{nb.name} must declare '{common}'"
    assert declared["profile"] == "default"
    default = profiles.load_profiles()[nb.stem]["default"]
    for key, value in default.items():
        assert declared[key] == value, f"{nb.name}: parameters cell {key}={declared[key]!r} " \
                                       f"but profiles.yaml default has {value!r}"


@pytest.mark.parametrize("profile", profiles.PROFILES)
def test_capacity_chapter_reads_the_packing_chapters_cells(profile):
    """Chapter 6 fits Eq. 7 to chapter 5's packings: the same cells and settings in every profile,
    or it would recompute (or silently read) packings of another configuration."""
    def effective(name):  # the parameters cell's defaults, overridden by the profile
        nb = ROOT / "notebooks" / name
        declared = {k: v for k, (_, v) in profiles.declared_parameters(nb).items()}
        return {**declared, **profiles.parameters_for(nb, profile)}

    ch5, ch6 = effective("05_optimised_packing.ipynb"), effective("06_capacity.ipynb")
    for key in ("grid", "d_values", "k_values", "steps", "objective", "seed"):
        assert ch6[key] == ch5[key], f"{profile}: chapter 6 {key}={ch6[key]!r}, chapter 5 {ch5[key]!r}"


@pytest.mark.parametrize("nb_name, params, fragment", [
    ("08_inside_the_model", {"bootstrap": -5}, "'bootstrap' must be 0 (none) or an integer ≥ 2, got -5"),
    ("08_inside_the_model", {"bootstrap": 1}, "'bootstrap' must be 0 (none) or an integer ≥ 2, got 1"),
    ("08_inside_the_model", {"tokens": 0}, "'tokens' must be ≥ 1, got 0"),
    ("08_inside_the_model", {"seed": -1}, "'seed' must be ≥ 0, got -1"),
    ("05_optimised_packing", {"k_values": [500, 1]}, "'k_values' must be ≥ 2, got 1"),
    ("09_learned_features", {"widths": [2, 0]}, "'widths' must be ≥ 1, got 0"),
])
def test_out_of_range_parameter_is_an_error_naming_the_parameter(nb_name, params, fragment):
    """The chapter's own parameter name, not the name of an argument deep inside repcap."""
    with pytest.raises(ParameterError) as info:
        profiles.validate(ROOT / "notebooks" / f"{nb_name}.ipynb", params)
    assert str(info.value) == f"{nb_name}.ipynb: parameter {fragment}"


@pytest.mark.parametrize("nb_name, params", [
    ("08_inside_the_model", {"bootstrap": 0}),  # 0: no interval
    ("02_embedding_similarity", {"pairs_sample": 0, "max_rows_all_pairs": 0}),  # 0: all / no limit
    ("07_packing_frontier", {"optima_steps": 0}),  # 0: skip that section
    ("09_learned_features", {"optimise_steps": 0, "layer": -1}),  # layer -1: the middle block
])
def test_documented_zero_and_negative_values_are_accepted(nb_name, params):
    assert profiles.validate(ROOT / "notebooks" / f"{nb_name}.ipynb", params) == params
