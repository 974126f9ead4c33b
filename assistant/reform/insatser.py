"""Insatskartläggning: for each local insats, does the new law allow it without
individual needs assessment (SFS 2025:400 11 kap. 5 §; for children 21 kap.
2 §), which paragraphs govern it, and what changed from the old law.

The list of insatser that always require an assessment is read from the law
text in the index (11 kap. 5 § points), not written into the code. A local name
is matched to the law's wording through the name itself or local_names.yaml; a
match is shown with the law's quote and a confidence, and uncertain ones are
flagged for a human instead of guessed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.changes.compare import RELATION_SV
from assistant.privacy import mask_personnummer

EXCEPTIONS_LABEL = "SFS 2025:400 11 kap. 5 §"
CHILDREN_LABEL = "SFS 2025:400 21 kap. 2 §"
LOCAL_NAMES = Path(__file__).with_name("local_names.yaml")
REVIEW_BELOW = 0.5
_CHILD = re.compile(r"\b(barn|unga|ungdom\w*|tonåring\w*|elever|familje\w*|föräldr\w*|\d{1,2}\s*[-–]\s*1[0-7]\s*år|under 18)\b", re.I)
_YOUNG_ADULT = re.compile(r"\b(18\s*[-–]\s*20|18-20|unga vuxna|unga)\b", re.I)
_ECONOMIC = re.compile(r"\b(ekonomiskt bistånd|försörjningsstöd|bistånd till livsföring|bidrag)\b", re.I)

VERDICTS = {
    "kräver": "Kräver alltid individuell behovsprövning",
    "utan": "Får ges utan individuell behovsprövning",
    "ekonomi": "Omfattas inte av 11 kap. 5 § (ekonomiskt bistånd prövas enligt 12 kap.)",
    "osäker": "Osäker – bedöm manuellt",
}


class CsvError(ValueError):
    """A CSV the mapping cannot read; the message is for the user (Swedish)."""


@dataclass
class Insats:
    name: str
    target_group: str = ""
    description: str = ""


@dataclass
class Mapping:
    insats: Insats
    verdict: str  # key of VERDICTS
    law_term: str = ""  # the law's wording the local name was matched to
    quote: str = ""  # verbatim from the cited paragraph
    quote_label: str = ""
    confidence: float = 0.0
    needs_review: bool = False
    review_reason: str = ""
    governing: list[str] = field(default_factory=list)
    children: str = ""  # 21 kap. 2 § quote when the target group is children
    changes: str = ""  # old-law counterparts of the governing paragraphs

    @property
    def verdict_sv(self) -> str:
        return VERDICTS[self.verdict]


@dataclass
class Exception_:
    point: str  # "1"
    text: str  # the point's text, verbatim
    terms: list[str]  # the insatser it names ("kontaktfamilj", "jourhem", ...)
    age_limited: bool  # only for barn/unga 18-20


def exceptions_from_law(passage_text: str) -> list[Exception_]:
    """The numbered points of 11 kap. 5 §: insatser that always need an assessment."""
    out = []
    for m in re.finditer(r"^(\d+)\.\s+(.+?)(?:,\s*(?:och|eller)?)?$", passage_text, re.M):
        text = m[0]
        body = re.sub(r"\s+som avses i .*$|\s+utöver .*$", "", m[2]).strip(" ,.")
        body = re.sub(r"^(vård av barn eller unga mellan 18 och 20 år i|vård i|bostad i ett)\s+", "", body)
        body = body.replace("hem för vård eller boende", "hem för vård ELLER boende")  # one legal term
        terms = []
        for t in re.split(r",\s*|\s+eller\s+|\s+och\s+", body):
            t = re.sub(r"^(andra|för)\s+", "", t.strip()).replace("ELLER", "eller")
            if len(t) > 3:
                terms.append(t)
        out.append(Exception_(m[1], text, terms, "18 och 20 år" in m[2]))
    return out


def load_local_names(path: Path = LOCAL_NAMES) -> dict[str, str]:
    return {k.lower(): v for k, v in yaml.safe_load(path.read_text(encoding="utf-8")).items()}


def _contains(text: str, phrase: str) -> bool:
    return bool(re.search(rf"(?<![\wåäö]){re.escape(phrase.lower())}(?![\wåäö])", text.lower()))


class InsatsMapper:
    def __init__(self, retriever, concordance=None, date: str | None = None):
        self.retriever = retriever
        self.concordance = concordance
        self.date = date
        passages = retriever.lookup(EXCEPTIONS_LABEL, date)
        if not passages:
            raise RuntimeError(f"{EXCEPTIONS_LABEL} saknas i indexet")
        self.exceptions_passage = passages[0]
        self.exceptions = exceptions_from_law(self.exceptions_passage.text)
        self.local_names = load_local_names()
        children = retriever.lookup(CHILDREN_LABEL, date)
        self.children_quote = children[0].text.split(". ")[0] + "." if children else ""

    def _exception_for(self, text: str) -> tuple[Exception_, str, str] | None:
        """(point, law term, how) when the name names an insats of the list."""
        for local, law_term in sorted(self.local_names.items(), key=lambda kv: -len(kv[0])):
            if _contains(text, local):
                for e in self.exceptions:
                    if any(law_term.lower() in t.lower() for t in e.terms):
                        return e, law_term, f"lokalt namn ”{local}”"
        for e in self.exceptions:
            for term in sorted(e.terms, key=len, reverse=True):
                if _contains(text, term):
                    return e, term, "lagens ord"
        return None

    def map(self, insats: Insats) -> Mapping:
        from assistant.retrieval.evidence import QuestionTerms, passage_coverage
        from assistant.retrieval.hybrid import Filters

        text = f"{insats.name} {insats.description}"
        children = bool(_CHILD.search(f"{insats.target_group} {insats.name}"))
        m = Mapping(insats, "utan")
        hit = self._exception_for(insats.name) or self._exception_for(text)
        result = self.retriever.search(text, k=5, filters=Filters(kinds=("statute",), law_versions=("new",)), date=self.date)
        governing = [sp.passage for sp in result.passages if "kap." in sp.passage.label][:3]
        m.governing = list(dict.fromkeys(p.label for p in governing))
        if hit:
            point, term, how = hit
            m.verdict, m.law_term = "kräver", term
            m.quote, m.quote_label = point.text.rstrip(" ,"), f"{EXCEPTIONS_LABEL} p. {point.point}"
            m.confidence = 0.95 if how == "lagens ord" else 0.9
            m.governing = [EXCEPTIONS_LABEL] + [g for g in m.governing if g != EXCEPTIONS_LABEL][:2]
            if point.age_limited and not _YOUNG_ADULT.search(f"{insats.target_group} {insats.name}") and not children:
                m.needs_review, m.review_reason = True, "punkten gäller barn och unga 18–20 år; kontrollera målgruppen"
                m.confidence = 0.6
        elif _ECONOMIC.search(text):
            m.verdict, m.confidence = "ekonomi", 0.8
            economic = self.retriever.lookup("SFS 2025:400 12 kap. 1 §", self.date)
            if economic:
                m.quote, m.quote_label = economic[0].text.split("\n")[0], economic[0].label
                m.governing = [economic[0].label] + [g for g in m.governing if g != economic[0].label][:2]
        else:
            terms = QuestionTerms(insats.name, self.retriever.keyword)
            # the governing paragraph that names the insats best (a bare name is no question:
            # the search's first paragraph need not be the one that uses the word)
            coverages = [passage_coverage(terms, g, self.retriever.keyword) for g in governing]
            coverage = max(coverages, default=0.0)
            if governing:
                best = governing[coverages.index(coverage)].label  # the first of equals
                m.governing = [best] + [g for g in m.governing if g != best]
            m.confidence = round(max(0.0, min(0.85, coverage)) * (1 - terms.unknown_share), 2)
            first = self.exceptions_passage.text.split(". ")[0] + "."
            m.quote, m.quote_label, m.law_term = first, EXCEPTIONS_LABEL, "insatser för att tillgodose personliga behov"
            if m.confidence < REVIEW_BELOW:
                m.verdict = "osäker"
                m.needs_review = True
                m.review_reason = ("namnet matchar inte lagens ord säkert; kontrollera om det är en insats för personliga "
                                   "behov enligt socialtjänstlagen")
        if children and m.verdict in ("utan", "osäker"):
            m.children = f"{CHILDREN_LABEL}: ”{self.children_quote}”"
        if self.concordance:
            old = []
            for label in m.governing[:2]:
                for pair in self.concordance.counterparts_of_new(label):
                    if pair.old:
                        old.append(f"{label} ← {pair.old} ({RELATION_SV.get(pair.relation, pair.relation)})")
                if not any(p.old for p in self.concordance.counterparts_of_new(label)):
                    old.append(f"{label}: ingen motsvarighet i gamla lagen")
            m.changes = "; ".join(old)
        return m


# --- CSV -------------------------------------------------------------------------------

_COLUMNS = {
    "name": {"namn", "insats", "name", "benämning"},
    "target_group": {"målgrupp", "malgrupp", "target group", "target_group", "grupp"},
    "description": {"beskrivning", "description", "kommentar"},
}
MAX_ROWS = 500


def read_csv(data: bytes) -> list[Insats]:
    """name, target group, optional description; CsvError with a clear message."""
    if not data or not data.strip():
        raise CsvError("Filen är tom. Den ska ha en rubrikrad med kolumnerna namn, målgrupp och (valfritt) beskrivning.")
    try:
        text = mask_personnummer(data.decode("utf-8-sig"))[0]
    except UnicodeDecodeError as exc:
        raise CsvError(f"Filen är inte UTF-8 (fel vid byte {exc.start}). Spara den som \"CSV UTF-8\" och försök igen.") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise CsvError("Filen innehåller inga rader.")
    header = [h.strip().lower() for h in rows[0]]
    index = {}
    for key, names in _COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                index[key] = i
    if "name" not in index or "target_group" not in index:
        raise CsvError(f"Fel kolumner: hittade {', '.join(rows[0])}. Rubrikraden ska innehålla namn och målgrupp "
                       "(och valfritt beskrivning).")
    out = []
    for n, row in enumerate(rows[1:], 2):
        def cell(key, row=row):
            i = index.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        if not cell("name"):
            raise CsvError(f"Rad {n} saknar namn på insatsen.")
        out.append(Insats(cell("name"), cell("target_group"), cell("description")))
    if not out:
        raise CsvError("Filen har bara en rubrikrad och inga insatser.")
    if len(out) > MAX_ROWS:
        raise CsvError(f"Filen har {len(out)} insatser; högst {MAX_ROWS} per körning.")
    return out


def parse_typed(text: str) -> list[Insats]:
    """One insats per line, "namn; målgrupp; beskrivning" (målgrupp and beskrivning optional)."""
    text = mask_personnummer(text)[0]
    out = []
    for line in text.splitlines():
        parts = [p.strip() for p in re.split(r"[;\t]", line)]
        if parts and parts[0]:
            out.append(Insats(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""))
    return out


# --- output ----------------------------------------------------------------------------

HEADER = ["Insats", "Målgrupp", "Bedömning", "Matchat mot lagens ord", "Citat", "Källa", "Säkerhet", "Granska",
          "Styrande paragrafer", "Barn (21 kap. 2 §)", "Ändring från gamla lagen"]


def rows(mappings: list[Mapping]) -> list[list[str]]:
    return [[m.insats.name, m.insats.target_group, m.verdict_sv, m.law_term, m.quote, m.quote_label,
             f"{m.confidence:.0%}", ("Ja: " + m.review_reason) if m.needs_review else "", ", ".join(m.governing),
             m.children, m.changes] for m in mappings]


def to_csv(mappings: list[Mapping]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows(mappings))
    return buf.getvalue()


def to_markdown(mappings: list[Mapping], versions: list[str]) -> str:
    from assistant.course.export import _footer

    lines = ["# Insatskartläggning mot nya socialtjänstlagen", "",
             "Bedömning enligt SFS 2025:400 11 kap. 5 § (insatser utan individuell behovsprövning) och, för barn, "
             "21 kap. 2 §. Rader markerade för granskning ska bedömas av en människa.", ""]
    for m in mappings:
        lines += [f"## {m.insats.name}" + (f" ({m.insats.target_group})" if m.insats.target_group else ""), "",
                  f"**{m.verdict_sv}** – säkerhet {m.confidence:.0%}" + (f" – GRANSKA: {m.review_reason}" if m.needs_review else ""), ""]
        if m.quote:
            lines += [f"{m.quote_label}: ”{m.quote}”", ""]
        if m.children:
            lines += [f"Barn: {m.children}", ""]
        if m.governing:
            lines += [f"Styrande paragrafer: {', '.join(m.governing)}", ""]
        if m.changes:
            lines += [f"Ändring från gamla lagen: {m.changes}", ""]
    return "\n".join(lines + _footer(versions)) + "\n"
