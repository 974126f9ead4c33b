"""PDF and HTML parsing on fixtures the tests make; fetch against a local server
(the real download code) and against a closed port (offline)."""

import http.server
import io
import json
import threading

import pytest
from conftest import free_port
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from assistant.config import load_settings
from assistant.parsing.html import html_pages
from assistant.parsing.pdf import DocumentError, page_passages, read_pdf_pages
from assistant.sources.fetch import fetch_all, urls_from_riksdagen_list
from assistant.types import SourceDoc

BILL = SourceDoc(id="prop-test", title="Prop. test", kind="bill", citation_prefix="Prop. 2024/25:89",
                 format="pdf", urls=("https://example.invalid/prop.pdf",), mirror="bills/prop.pdf")


def make_pdf(pages: list[str], first_number: int = 510, header: str = "Prop. 2024/25:89") -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for i, text in enumerate(pages):
        pdf.add_page()
        pdf.cell(0, 8, f"{header} {first_number + i}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


PAGES = [
    "8.2 Förebyggande arbete\n\nRegeringens förslag: Socialnämnden ska arbeta förebyggande.\n\nSkälen för förslaget: Det behövs.",
    "Fortsatt resonemang om förebyggande arbete och samverkan med skolan.",
    "8.3 Insatser utan individuell behovsprövning\n\nNämnden får erbjuda insatser utan behovsprövning.",
]


def test_pdf_pages_keep_printed_page_numbers_and_headings():
    pages = read_pdf_pages(make_pdf(PAGES))
    assert [p.number for p in pages] == [510, 511, 512]
    assert pages[0].headings == ["8.2 Förebyggande arbete"]
    passages = page_passages(pages, BILL)
    assert [p.label for p in passages] == ["Prop. 2024/25:89 s. 510", "Prop. 2024/25:89 s. 511", "Prop. 2024/25:89 s. 512"]
    assert passages[1].heading == "8.2 Förebyggande arbete"  # carried over to the next page
    assert passages[2].heading == "8.3 Insatser utan individuell behovsprövning"
    assert "förebyggande" in passages[0].text


def test_corrupt_pdf_is_reported():
    with pytest.raises(DocumentError, match="skadad"):
        read_pdf_pages(b"%PDF-1.7\n this is not really a pdf \x00\x01")


def test_encrypted_pdf_is_reported():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PAGES[:1]))))
    writer.encrypt(user_password="hemligt", owner_password="ägare", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DocumentError, match="krypterad"):
        read_pdf_pages(out.getvalue())


def test_riksdagen_html_pages():
    html = "".join(
        f'<div id="page_{i + 1}"><p>SOU 2020:47 {100 + i}</p><p>Text på sidan {i}.</p></div>' for i in range(3)
    )
    pages = html_pages(f"<html><body>{html}</body></html>")
    assert [p.number for p in pages] == [100, 101, 102]
    with pytest.raises(DocumentError):
        html_pages("<html><body><p>ingen sidindelning</p></body></html>")


def test_riksdagen_document_list_gives_pdf_first():
    listing = {"dokumentlista": {"dokument": [{
        "dok_id": "HC0389",
        "dokument_url_html": "//data.riksdagen.se/dokument/HC0389.html",
        "filbilaga": {"fil": {"typ": "pdf", "url": "https://data.riksdagen.se/fil/ABC"}},
    }]}}
    assert urls_from_riksdagen_list(listing) == [
        "https://data.riksdagen.se/fil/ABC", "https://data.riksdagen.se/dokument/HC0389.html"]


def test_fetch_offline_gives_one_clear_line_per_document(tmp_path):
    port = free_port()  # nothing listens there
    doc = SourceDoc(id="x", title="X", kind="bill", citation_prefix="Prop. 2024/25:89", format="pdf",
                    urls=(f"http://127.0.0.1:{port}/x.pdf",))
    settings = load_settings(data_dir=str(tmp_path), mirror_dir="")
    [result] = fetch_all([doc], settings, timeout=2)
    assert result.status == "failed" and result.path is None
    assert "kunde inte" in result.message and "\n" not in result.message


def test_fetch_downloads_over_http_and_prefers_the_mirror(tmp_path):
    served = tmp_path / "www"
    served.mkdir()
    (served / "prop.pdf").write_bytes(make_pdf(PAGES))
    listing = {"dokumentlista": {"dokument": [{"dok_id": "H1", "filbilaga": {"fil": [{"typ": "pdf", "url": "/prop.pdf"}]}}]}}
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        listing["dokumentlista"]["dokument"][0]["filbilaga"]["fil"][0]["url"] = f"{base}/prop.pdf"
        (served / "list.json").write_text(json.dumps(listing))
        doc = SourceDoc(id="prop-x", title="P", kind="bill", citation_prefix="Prop. 2024/25:89", format="pdf",
                        urls=(f"riksdagen-list:{base}/list.json",), mirror="bills/prop.pdf")
        settings = load_settings(data_dir=str(tmp_path / "data"), mirror_dir=str(tmp_path / "mirror"))
        [result] = fetch_all([doc], settings)
        assert result.status == "downloaded", result.message
        assert result.path.suffix == ".pdf" and read_pdf_pages(result.path.read_bytes())[0].number == 510
        [again] = fetch_all([doc], settings)
        assert again.status == "cached"
        # A document in the mirror is not downloaded.
        mirrored = SourceDoc(id="m", title="M", kind="article", citation_prefix="seed", format="text",
                             urls=(f"{base}/missing",), mirror="a.txt")
        (tmp_path / "mirror").mkdir()
        (tmp_path / "mirror" / "a.txt").write_text("Titel\n\nText.")
        [m] = fetch_all([mirrored], settings)
        assert m.status == "mirror"
    finally:
        server.shutdown()
