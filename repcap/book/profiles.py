"""Parameter profiles of the book's notebooks, and strict checking of notebook parameters.

Every chapter notebook has one cell tagged ``parameters`` whose assignments carry a type annotation
and the ``default`` profile's value, e.g. ``model: str = "all-MiniLM-L6-v2"``. The file
``profiles.yaml`` (shipped in the package) gives, for each notebook, the values of three profiles:

``smoke``    seconds per notebook; what the test suite runs;
``default``  the offline book build on a 2-core CPU with real models (minutes);
``paper``    the paper's full scale: hub models and full grids, for a GPU (Colab).

papermill itself only *warns* about a misspelt parameter and never checks types; the runner calls
:func:`validate` first, so a misspelt or wrongly typed parameter is an error that names the fix.
"""

from __future__ import annotations

import ast
import difflib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from repcap.errors import ParameterError

PROFILES = ("smoke", "default", "paper")
# Parameters every notebook declares; the runner sets them.
COMMON = {"profile": "str", "results_path": "str"}


@lru_cache(maxsize=1)
def load_profiles() -> dict[str, dict[str, dict[str, Any]]]:
    """The parsed ``profiles.yaml``: ``{notebook_stem: {profile: {name: value}}}``."""
    text = resources.files("repcap.book").joinpath("profiles.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    for stem, profiles in data.items():
        missing = [p for p in PROFILES if p not in (profiles or {})]
        if missing:
            raise ParameterError(f"profiles.yaml: notebook {stem!r} lacks profile(s) {missing}")
        unknown = [p for p in profiles if p not in PROFILES]
        if unknown:
            raise ParameterError(f"profiles.yaml: notebook {stem!r} has unknown profile(s) {unknown}")
    return data


def parameters_cell(nb_path: str | Path) -> str:
    """Source of the notebook's single cell tagged ``parameters``."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{nb_path}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    src = cells[0]["source"]
    return "".join(src) if isinstance(src, list) else src


def declared_parameters(nb_path: str | Path) -> dict[str, tuple[str, Any]]:
    """``{name: (type annotation as text, default value)}`` from the parameters cell.

    Every assignment must be annotated (``x: int = 3``); a bare ``x = 3`` is an error because
    papermill and this module could not type-check it.
    """
    return declared_in_source(parameters_cell(nb_path), str(nb_path))


def declared_in_source(source: str, label: str = "the parameters cell") -> dict[str, tuple[str, Any]]:
    """:func:`declared_parameters` of a parameters cell's source text."""
    tree = ast.parse(source)
    out: dict[str, tuple[str, Any]] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            out[node.target.id] = (ast.unparse(node.annotation), ast.literal_eval(node.value))
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            raise ParameterError(f"{label}: parameters must be annotated (name: type = value): "
                                 f"{ast.unparse(node)!r}")
    return out


def _type_ok(annotation: str, value: Any) -> bool:
    ann = annotation.replace(" ", "")
    if "|" in ann:
        return any(_type_ok(part, value) for part in ann.split("|"))
    if ann == "None":
        return value is None
    if ann == "bool":
        return isinstance(value, bool)
    if ann == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if ann == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if ann == "str":
        return isinstance(value, str)
    if ann.startswith("list[") and ann.endswith("]"):
        return isinstance(value, list) and all(_type_ok(ann[5:-1], v) for v in value)
    if ann == "list":
        return isinstance(value, list)
    if ann.startswith("dict"):
        return isinstance(value, dict)
    raise ParameterError(f"unsupported parameter annotation {annotation!r}")


def validate(nb_path: str | Path, params: dict[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the notebook's declared parameters; return them with floats coerced.

    Raises :class:`ParameterError` for an unknown name (with the closest declared name) or a value
    of the wrong type.
    """
    return _validate(declared_parameters(nb_path), params, Path(nb_path).name)


#: Smallest allowed value of integer parameters (each element of a list), by the name the chapters
#: share; 0 is allowed where a chapter documents it ("0: none", "0: skip"). ``bootstrap`` takes the
#: replicate rule (0, or ≥ 2: one replicate has no spread). Names not listed are checked for type only.
MINIMUM = {
    **dict.fromkeys(["seed", "pairs_sample", "max_rows_all_pairs", "optima_steps", "optimise_steps"],
                  0),
    **dict.fromkeys(["steps", "compare_steps", "toy_steps", "geo_steps", "epochs", "trials",
                     "count_trials", "toy_restarts", "geo_restarts", "tokens", "batch_size",
                     "toy_batch", "geo_batch", "max_length", "reservoir", "hist_tokens",
                     "sample_tokens", "bins", "null_vectors", "toy_features", "toy_hidden",
                     "geo_features", "geo_hidden", "geo_models", "k", "k_width",
                     "optimise_max_k", "widths", "extra_k", "start_k"], 1),
    **dict.fromkeys(["d_values", "k_values", "compare_d_values", "compare_k_values", "null_dims",
                     "count_dims", "start_d"], 2),
}


def _check_range(key: str, value: Any, name: str) -> None:
    """A chapter's integer parameter within its documented range (:data:`MINIMUM`), else one line."""
    from repcap.common.checks import check_int, check_replicates

    label = f"{name}: parameter {key!r}"
    if key == "bootstrap":
        check_replicates(label, value, error=ParameterError)
    elif key in MINIMUM:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int):
                check_int(label, item, MINIMUM[key], error=ParameterError)


def _validate(declared: dict[str, tuple[str, Any]], params: dict[str, Any], name: str) -> dict[str, Any]:
    checked = {}
    for key, value in params.items():
        if key not in declared:
            near = difflib.get_close_matches(key, list(declared), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ParameterError(f"{name}: unknown parameter {key!r}{hint} "
                                 f"(declared: {', '.join(sorted(declared))})")
        ann = declared[key][0]
        if not _type_ok(ann, value):
            raise ParameterError(f"{name}: parameter {key!r} must be {ann}, got {value!r} "
                                 f"({type(value).__name__})")
        _check_range(key, value, name)
        checked[key] = float(value) if ann == "float" and isinstance(value, int) else value
    return checked


def parameters_for(nb_path: str | Path, profile: str, overrides: dict[str, Any] | None = None,
                   table: dict[str, dict[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The validated parameters to inject for ``profile`` (plus ``profile`` itself and overrides).

    ``table`` defaults to :func:`load_profiles`; tests pass their own.
    """
    if profile not in PROFILES:
        raise ParameterError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    stem = Path(nb_path).stem
    table = load_profiles() if table is None else table
    if stem not in table:
        raise ParameterError(f"profiles.yaml has no entry for notebook {stem!r}")
    params = {**(table[stem][profile] or {}), "profile": profile, **(overrides or {})}
    return validate(nb_path, params)


#: The first line papermill writes into the cell it injects after the parameters cell.
PAPERMILL_MARKER = "# Parameters"


def check_parameters(history: list[str] | None = None, namespace: dict[str, Any] | None = None,
                     chapter: str = "this chapter") -> None:
    """Reject misspelt or mistyped chapter parameters before any heavy work.

    Called by each chapter's cell tagged ``check-parameters`` (written by tools/sync_notebooks.py),
    which runs right after the parameters cell and papermill's injected cell. From the kernel's
    input history (IPython's ``In``) it takes the parameters cell, the latest input made only of
    annotated assignments, and any papermill cell after it (its first line is ``# Parameters``):
    an injected name the parameters cell does not declare is an error naming the closest declared
    one, and every declared parameter's current value (``namespace``) must have its declared type.
    So ``papermill … -p modle x`` or ``-p bootstrap abc`` fails in the third cell, with one line.
    """
    if history is None or namespace is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return
        history = shell.user_ns.get("In", []) if history is None else history
        namespace = shell.user_ns if namespace is None else namespace
    declared, start = None, -1
    for i in range(len(history) - 1, -1, -1):
        try:
            body = ast.parse(history[i]).body
        except SyntaxError:
            continue
        if body and all(isinstance(n, ast.AnnAssign) for n in body):
            declared, start = declared_in_source(history[i]), i
            break
    if declared is None:
        return  # not run cell by cell from the top: nothing to compare with
    injected: dict[str, Any] = {}
    for source in history[start + 1:]:
        if source.lstrip().startswith(PAPERMILL_MARKER):
            for node in ast.parse(source).body:
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            injected[target.id] = namespace.get(target.id)
    _validate(declared, injected, chapter)
    _validate(declared, {k: namespace[k] for k in declared if k in namespace}, chapter)
