"""Findings: a study's numbers and the rule that reads them, in one object.

A chapter computes its numbers once and hands them to a findings object. The object

* **shows** them: :meth:`Findings.tables` are the chapter's tables (rows and column formats) and
  :meth:`Findings.markdown` its conclusion in words; the chapter cell is ``show(findings)``
  (:func:`repcap.book.notebook.show`), so no chapter formats numbers itself;
* **records** them: :meth:`Findings.record` is the JSON-ready dict the chapter writes to its results
  file, and :meth:`Findings.from_record` builds the same object back from that dict; a chapter with
  several sections writes the union of their records (:func:`chapter_record`);
* **decides**: a study that settles one of the paper's claims has :meth:`Findings.verdicts`, whose
  status comes from one rule method of the class. The chapter's conclusion and the verdict page
  (:mod:`repcap.book.verdict`, which rebuilds the findings from the results file) both call that
  method, so the two cannot disagree.

Statuses of a claim: :data:`HOLDS`, :data:`CAVEAT`, :data:`FAILS`, and :data:`UNTESTED` where the
book's measurements lie outside the regime the claim is made for (they neither support nor refute it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from repcap.errors import DataFileError

__all__ = ["HOLDS", "CAVEAT", "FAILS", "UNTESTED", "STATUSES", "Verdict", "Table", "Markdown",
           "Findings", "required", "chapter_record"]

HOLDS, CAVEAT, FAILS = "holds", "holds with a caveat", "does not hold"
UNTESTED = "not tested in the paper's regime"
#: Every status a claim can have: from the strongest support to none, then "not tested".
STATUSES = (HOLDS, CAVEAT, FAILS, UNTESTED)


@dataclass(frozen=True)
class Verdict:
    """One claim of the paper, where the paper makes it, this build's evidence, and its status."""

    claim: str
    where: str                  # the paper's section, figure or equation
    evidence: str               # Markdown; every number in it comes from a results record
    status: str                 # one of STATUSES
    chapters: tuple[str, ...]   # notebook stems the evidence comes from

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {STATUSES}")


#: A table column: (header, key or callable(row) -> value, format spec or callable(value) -> str).
Column = tuple[str, "str | Callable[[Mapping], Any]", "str | Callable[[Any], str]"]


@dataclass(frozen=True)
class Table:
    """A table a chapter shows: its title, rows (dicts) and columns (:data:`Column`)."""

    title: str
    rows: Sequence[Mapping[str, Any]]
    columns: Sequence[Column]


class Markdown(str):
    """Markdown text that Jupyter renders as Markdown (a plain ``str`` would be echoed as a quoted
    string); it is still a ``str`` everywhere else."""

    def _repr_markdown_(self) -> str:
        return str(self)


class Findings:
    """Base of every study's findings: subclasses are dataclasses of numbers.

    Subclasses set :attr:`chapter` (the notebook stem whose results file holds the record) and
    override what they have: :meth:`tables`, :meth:`markdown`, :meth:`verdicts`, and
    :meth:`record` / :meth:`from_record` when their fields are not plain JSON values.
    """

    #: The stem of the chapter that writes this record (e.g. ``"08_inside_the_model"``).
    chapter: ClassVar[str] = ""

    def tables(self) -> list[Table]:
        """The chapter's tables of these findings, in the order it shows them."""
        return []

    def markdown(self) -> Markdown:
        """The chapter's conclusion from these numbers, in words (Markdown)."""
        return Markdown("")

    def parts(self) -> list[Table | Markdown]:
        """What the chapter shows, in order: the tables, then the conclusion."""
        text = self.markdown()
        return [*self.tables(), *([text] if text else [])]

    def verdicts(self) -> list[Verdict]:
        """The paper's claims these findings settle (empty for a study that settles none)."""
        return []

    def record(self) -> dict[str, Any]:
        """The findings as JSON-ready values (the chapter's results file)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]):
        """The findings back from :meth:`record`'s dict (keys it does not know are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [n for n in names if n not in record and _required_field(cls, n)]
        if missing:
            raise DataFileError(f"the results of {cls.chapter or cls.__name__} lack {sorted(missing)}; "
                                "rebuild that chapter")
        return cls(**{k: v for k, v in record.items() if k in names})


def _required_field(cls, name: str) -> bool:
    field = next(f for f in dataclasses.fields(cls) if f.name == name)
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def chapter_record(profile: str, *parts: Findings) -> dict[str, Any]:
    """A chapter's results record: ``profile`` and the union of its sections' records (no two
    sections write the same key)."""
    out: dict[str, Any] = {"profile": profile}
    for part in parts:
        record = part.record()
        clash = sorted(set(record) & set(out))
        if clash:
            raise ValueError(f"{type(part).__name__} writes {clash}, which another section wrote")
        out.update(record)
    return out


def required(record: Mapping[str, Any] | None, chapter: str, *keys: str) -> Any:
    """``record[k1][k2]…``, or a one-line DataFileError naming the chapter whose results lack it.

    A key that is there with the value null (a NaN the results file wrote as null) is returned as
    None: absent and null are different things (:func:`repcap.common.jsonsafe.nan_from_null`
    reads numbers back)."""
    value: Any = record
    if value is None:
        raise DataFileError(f"the results of {chapter} were not written; build that chapter")
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            raise DataFileError(f"the results of {chapter} lack {'.'.join(keys)}; rebuild that chapter")
        value = value[key]
    return value
