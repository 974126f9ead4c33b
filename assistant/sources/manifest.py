"""Read corpus/sources.toml into SourceDoc records and locate each document's file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.types import SourceDoc

KINDS = {"statute", "bill", "inquiry", "article"}


class ManifestError(ValueError):
    pass


def load_manifest(path: str | Path) -> list[SourceDoc]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ManifestError(f"manifestet saknas: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"manifestet {path} är inte giltig TOML: {exc}") from exc
    docs = []
    seen: set[str] = set()
    for entry in data.get("document", []):
        try:
            doc = SourceDoc(
                id=entry["id"],
                title=entry["title"],
                kind=entry["kind"],
                citation_prefix=entry["citation_prefix"],
                format=entry["format"],
                urls=tuple(entry.get("urls", ())),
                mirror=entry.get("mirror", ""),
                version=entry.get("version", ""),
                in_force=entry.get("in_force", ""),
                repealed=entry.get("repealed", ""),
                anchor_url=entry.get("anchor_url", ""),
                publisher=entry.get("publisher", ""),
            )
        except KeyError as exc:
            raise ManifestError(f"manifestpost saknar fältet {exc}: {entry}") from exc
        if doc.kind not in KINDS:
            raise ManifestError(f"{doc.id}: okänd typ {doc.kind!r}")
        if doc.id in seen:
            raise ManifestError(f"dokument-id förekommer två gånger: {doc.id}")
        seen.add(doc.id)
        docs.append(doc)
    return docs


def publishers(path: str | Path) -> dict[str, str]:
    """Document id -> publisher, for showing beside each quote."""
    return {d.id: d.publisher for d in load_manifest(path)}


def download_path(doc: SourceDoc, settings: Settings, suffix: str) -> Path:
    return settings.download_dir / f"{doc.id.replace(':', '__')}{suffix}"


@dataclass(frozen=True)
class Located:
    doc: SourceDoc
    path: Path | None
    origin: str  # "download" | "mirror" | "missing"


def locate(doc: SourceDoc, settings: Settings) -> Located:
    """The downloaded official copy wins; else the mirror's copy; else missing."""
    if settings.download_dir.is_dir():
        for path in sorted(settings.download_dir.glob(f"{doc.id.replace(':', '__')}.*")):
            if not path.name.endswith(".part"):
                return Located(doc, path, "download")
    if settings.mirror_dir and doc.mirror:
        path = Path(settings.mirror_dir) / doc.mirror
        if path.is_file():
            return Located(doc, path, "mirror")
    return Located(doc, None, "missing")


def located_documents(settings, kinds: tuple[str, ...] = ("statute",)):
    """(document, path) of every document of these kinds that is found locally."""
    for doc in load_manifest(settings.manifest):
        if doc.kind in kinds and (path := locate(doc, settings).path) is not None:
            yield doc, path
