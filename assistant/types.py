"""Domain dataclasses shared by every stage: parse -> index -> retrieve -> answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Kinds of source searched only when asked for (a source filter, or a question about
# the inquiry's reasons): a legal question is answered from the law, and the inquiry's
# draft, in its own numbering, must never stand in for it. They also get a keyword
# index of their own (assistant/index/keyword.py), so the law's statistics stay its own.
ONLY_WHEN_ASKED = ("inquiry",)


@dataclass(frozen=True)
class SourceDoc:
    """One document of the manifest (corpus/sources.toml)."""

    id: str
    title: str
    kind: str  # statute | bill | inquiry | article
    citation_prefix: str  # "SFS 2025:400", "Prop. 2024/25:89", "seed:", ...
    format: str  # statute-text | pdf | html | text | markdown
    urls: tuple[str, ...] = ()
    mirror: str = ""  # path relative to the mirror directory
    version: str = ""  # "new" / "old" for the two laws
    in_force: str = ""  # ISO date the document took effect (statutes)
    repealed: str = ""  # ISO date the document stopped applying (statutes)
    anchor_url: str = ""  # per-paragraph link template: {chapter}, {paragraph}
    publisher: str = ""  # who published it: "Riksdagen (Svensk författningssamling)", "Humana", ...


@dataclass
class Passage:
    """The unit that is indexed, retrieved and cited."""

    id: str  # unique and stable: doc id + structural key + version + part
    doc_id: str
    label: str  # canonical citation label, see assistant.labels
    text: str  # the passage text; quotes are verbatim substrings of it
    kind: str  # statute | bill | inquiry | article
    title: str = ""  # document title
    chapter: str = ""  # "20" / "2 a" for statutes
    chapter_title: str = ""
    heading: str = ""  # nearest heading(s), " – " joined
    paragraph: str = ""  # "2" / "1 a"
    law_version: str = ""  # new | old | "" (non-statutes)
    valid_from: str = ""  # ISO date this wording applies from
    valid_to: str = ""  # ISO date this wording stopped applying (exclusive)
    page: int = 0  # printed page for PDF/HTML documents
    part: int = 0  # 0 unless a long paragraph was split into parts
    url: str = ""
    repealed: bool = False  # "Har upphävts genom lag (...)"
    stycken: int = 0  # number of stycken in a statute paragraph

    def metadata(self) -> dict[str, Any]:
        """Flat metadata accepted by Chroma (str/int/float/bool only)."""
        data = asdict(self)
        data.pop("text")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def in_force_on(self, date: str) -> bool:
        return (not self.valid_from or self.valid_from <= date) and (
            not self.valid_to or date < self.valid_to
        )


@dataclass
class ScoredPassage:
    passage: Passage
    score: float
    sources: dict[str, float] = field(default_factory=dict)  # retriever -> rank (1-based), raw scores


@dataclass
class Citation:
    n: int  # the number shown in the answer text: [n]
    label: str
    passage_id: str
    quote: str  # verbatim substring of the passage text
    score: float
    text: str = ""  # full passage text
    heading: str = ""
    url: str = ""
    valid_from: str = ""
    valid_to: str = ""
    kind: str = ""  # statute | bill | inquiry | article
    title: str = ""  # the document's title
    doc_id: str = ""

    @classmethod
    def of(cls, n: int, passage: Passage, quote: str, score: float) -> Citation:
        """A citation of `quote` (a verbatim substring) in `passage`."""
        p = passage
        return cls(n, p.label, p.id, quote, score, p.text, p.heading, p.url, p.valid_from, p.valid_to,
                   p.kind, p.title, p.doc_id)


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    nearest: list[str] = field(default_factory=list)  # labels shown when abstaining
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    reference_date: str = ""
    answerer: str = "extractive"
    removed: list[str] = field(default_factory=list)  # generated sentences the verifier removed
    verified: list[dict] = field(default_factory=list)  # per generated sentence: support and reason

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
