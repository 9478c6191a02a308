"""The book's citation style: author–year in round brackets, "(Guha, 2026)" and "Guha (2026)".

sphinxcontrib-bibtex's ``author_year`` style uses square brackets ("[Guha, 2026]", "Guha [2026]").
This Sphinx extension (``_config.yml``: ``sphinx.extra_extensions``) registers the same style with
round brackets and several references separated by semicolons, "(Bricken et al., 2023; Gao et
al., 2024)", under the name :data:`STYLE`, which ``bibtex_reference_style`` selects. It is only
imported by the Sphinx build of the book.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

#: The name ``bibtex_reference_style`` gives in _config.yml.
STYLE = "author_year_round"


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


@dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    """:class:`AuthorYearReferenceStyle` with ``( )`` and ``;`` instead of ``[ ]`` and ``,``."""

    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


def setup(app) -> dict:
    """Register the style with sphinxcontrib-bibtex before it looks the style up."""
    register_plugin("sphinxcontrib.bibtex.style.referencing", STYLE, RoundAuthorYearReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
