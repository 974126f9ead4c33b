"""`assistant fetch`: download the official documents, or use the local mirror.

Each document gets one status line: in the mirror, downloaded, already
downloaded, or a one-line error (offline, HTTP error, nothing at the URL).
Nothing is silently skipped.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.sources.manifest import download_path, locate
from assistant.types import SourceDoc

USER_AGENT = "socialtjanst-assistant/0.1 (+https://data.riksdagen.se)"
LIST_PREFIX = "riksdagen-list:"


class FetchError(Exception):
    pass


@dataclass
class FetchResult:
    doc: SourceDoc
    status: str  # mirror | downloaded | cached | failed
    message: str
    path: Path | None = None


def _absolute(url: str) -> str:
    return "https:" + url if url.startswith("//") else url


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def urls_from_riksdagen_list(data: dict) -> list[str]:
    """Candidate file URLs of the first document in a riksdagen `dokumentlista`
    JSON answer: its PDF attachments first, then its HTML text."""
    docs = _as_list((data.get("dokumentlista") or {}).get("dokument"))
    if not docs:
        raise FetchError("riksdagens dokumentlista gav ingen träff")
    doc = docs[0]
    urls = []
    for fil in _as_list((doc.get("filbilaga") or {}).get("fil")):
        url = fil.get("url", "")
        if fil.get("typ", "").lower() == "pdf" or url.lower().endswith(".pdf"):
            urls.append(_absolute(url))
    if doc.get("dokument_url_html"):
        urls.append(_absolute(doc["dokument_url_html"]))
    elif doc.get("dok_id"):
        urls.append(f"https://data.riksdagen.se/dokument/{doc['dok_id']}.html")
    return urls


def _get(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} från {url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"kunde inte nå {url} ({reason}); ingen internetanslutning?") from exc


def _suffix(url: str, data: bytes) -> str:
    if data[:5] == b"%PDF-":
        return ".pdf"
    lowered = url.lower().split("?")[0]
    for suffix in (".html", ".htm", ".text", ".txt", ".md", ".json"):
        if lowered.endswith(suffix):
            return {".htm": ".html", ".text": ".txt"}.get(suffix, suffix)
    return ".html" if data.lstrip()[:1] == b"<" else ".txt"


def download(doc: SourceDoc, settings: Settings, timeout: float = 30.0) -> Path:
    """Try the document's official URLs in order; the first that answers is saved."""
    errors = []
    for url in doc.urls:
        try:
            if url.startswith(LIST_PREFIX):
                listing = json.loads(_get(url[len(LIST_PREFIX):], timeout))
                candidates = urls_from_riksdagen_list(listing)
            else:
                candidates = [url]
            for candidate in candidates:
                data = _get(candidate, timeout)
                if not data.strip():
                    raise FetchError(f"tomt svar från {candidate}")
                target = download_path(doc, settings, _suffix(candidate, data))
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".part")
                partial.write_bytes(data)
                partial.replace(target)  # atomic: never a half-written source
                return target
        except (FetchError, json.JSONDecodeError) as exc:
            errors.append(str(exc))
    if not doc.urls:
        raise FetchError("ingen officiell adress i manifestet")
    raise FetchError(errors[-1] if errors else "okänt fel")


def fetch_all(docs: list[SourceDoc], settings: Settings, force_download: bool = False,
              timeout: float = 30.0) -> list[FetchResult]:
    results = []
    for doc in docs:
        located = locate(doc, settings)
        if located.origin == "download" and not force_download:
            results.append(FetchResult(doc, "cached", f"redan hämtad: {located.path}", located.path))
            continue
        if located.origin == "mirror" and not force_download:
            results.append(FetchResult(doc, "mirror", f"finns i lokala spegeln: {located.path}", located.path))
            continue
        try:
            path = download(doc, settings, timeout)
            results.append(FetchResult(doc, "downloaded", f"hämtad: {path}", path))
        except FetchError as exc:
            fallback = " (spegelns kopia används)" if located.origin == "mirror" else ""
            results.append(FetchResult(doc, "failed", f"kunde inte hämtas: {exc}{fallback}", located.path))
    return results
