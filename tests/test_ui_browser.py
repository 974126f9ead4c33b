"""End to end in a real browser: Debian's Chromium driven by Playwright against
the app on a free loopback port; and the named API through gradio_client."""

import json
import re
import time
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def test_named_api_endpoint(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    assert {"/fraga", "/chat"} <= set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    result = client.predict("Hur lång tid har socialnämnden på sig att göra en förhandsbedömning? 19850101-1234",
                            [], api_name="/fraga")
    assert result["citations"][0]["label"] == "SFS 2025:400 20 kap. 2 §"
    assert "fjorton dagar" in result["citations"][0]["quote"]
    assert "19850101-1234" not in json.dumps(result, ensure_ascii=False)  # masked before anything else
    old = client.predict("inom hur lång tid ska beslut om att inleda utredning om barn fattas",
                         ["Gamla lagen (SFS 2001:453)"], api_name="/fraga")
    assert old["citations"] and all(c["label"].startswith("SFS 2001:453") for c in old["citations"])


def test_chat_in_a_real_browser(app_url):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        expect(page.get_by_text("Skriv inga personuppgifter om klienter")).to_be_visible(timeout=30_000)

        page.locator("#question textarea").fill("Vad innebär insatser utan individuell behovsprövning?")
        page.locator("#send").click()
        bot = page.locator("#chatbot")
        expect(bot).to_contain_text("[1]", timeout=30_000)
        # the answer first, its paragraph named in words; the law's version in the footer
        expect(bot).to_contain_text("Svar – 11 kap. 5 § socialtjänstlagen (2025:400)")
        expect(bot).to_contain_text("Citerad lydelse: SFS 2025:400 i lydelse t.o.m. SFS 2025:1501")
        passages = page.locator("#passages")
        expect(passages).to_contain_text("SFS 2025:400 11 kap. 5 §")
        expect(passages).to_contain_text("Följande insatser kräver dock alltid en individuell behovsprövning")
        expect(passages.locator("mark").first).to_be_visible()

        # Filter to the old law and ask a follow-up in the context of the conversation.
        page.locator("#question textarea").fill("Hur lång tid har nämnden på sig att göra en förhandsbedömning?")
        page.locator("#send").click()
        expect(bot).to_contain_text("Svar – 20 kap. 2 § socialtjänstlagen (2025:400)", timeout=30_000)
        page.get_by_label("Gamla lagen (SFS 2001:453)").check()
        page.locator("#question textarea").fill("vad stod i gamla lagen?")
        page.locator("#send").click()
        # issue 22 row 4: the previous answer's paragraph compared with its old counterpart
        expect(bot).to_contain_text("Läst som följdfråga: 20 kap. 2 § socialtjänstlagen (2025:400)", timeout=30_000)
        expect(passages).to_contain_text("SFS 2001:453", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        text = passages.inner_text()
        assert re.search(r"SFS 2001:453 \d+ (a )?kap\. \d+", text)
        browser.close()


def _ask(page, question: str):
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()


def test_citations_link_to_their_passages_at_both_widths(app_url):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        for width in (1400, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(app_url)
            _ask(page, "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?")
            cite = page.locator("#chatbot a.cite").first
            expect(cite).to_be_visible(timeout=30_000)
            assert cite.get_attribute("href") == "#passage-1"
            passage = page.locator("#passage-1")
            expect(passage).to_contain_text("SFS 2025:400 20 kap. 2 §")
            expect(passage).to_contain_text("Socialtjänstlag (2025:400)")  # the document's title
            expect(passage).to_contain_text("Riksdagen")  # and its publisher
            expect(passage.locator(".kind")).to_have_text("lagtext")
            page.evaluate("window.scrollTo(0, 0)")
            cite.click()
            expect(passage).to_have_class(re.compile(r"\bflash\b"))
            expect(passage).to_be_in_viewport()
            page.screenshot(path=str(ARTIFACTS / f"answer-{width}.png"), full_page=True)

            # An article is never shown as law: its tag says so, beside its title.
            page.get_by_label("Artiklar och regeringens sidor").check()
            _ask(page, "Vad säger regeringen om varför det behövs en ny socialtjänstlag?")
            tag = page.locator("#passages .kind-article").first
            expect(tag).to_have_text("artikel – inte lagtext", timeout=30_000)
            expect(page.locator("#passages .passage .source").first).not_to_be_empty()
            assert "regeringen" in page.locator("#passages").inner_text().lower()
            page.screenshot(path=str(ARTIFACTS / f"article-{width}.png"), full_page=True)
            page.close()
        browser.close()


def test_change_guide_in_the_browser(app_url):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        for width in (1400, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(app_url)
            _ask(page, "Vad motsvarar 11 kap. 1 a § i gamla SoL?")
            passages = page.locator("#passages")
            expect(passages).to_contain_text("SFS 2025:400 20 kap. 2 §", timeout=30_000)
            expect(passages.locator("ins").first).to_be_visible()
            expect(page.locator("#chatbot")).to_contain_text("enligt utredningens författningskommentar")
            # One sentence-aligned diff per old -> new pair; every pair after the first is collapsed.
            blocks = passages.locator("details")
            assert blocks.count() >= 1 and blocks.first.get_attribute("open") is None
            text = passages.inner_text()
            assert not re.search(r"\b(split|reworded|merged|same_wording|moved_in_part)\b", text)
            page.screenshot(path=str(ARTIFACTS / f"compare-{width}.png"), full_page=True)

            page.get_by_role("tab", name="Nytt från 1 juli 2025").click()
            overview = page.locator("#overview")
            expect(overview.locator("a[href*='#K6P']").first).to_be_attached(timeout=30_000)
            everything = overview.locator("a").count()
            page.locator("#overview-chapter input").click()
            page.get_by_role("option", name=re.compile(r"^20 kap\.")).click()
            expect(overview.locator("a[href*='#K6P']")).to_have_count(0, timeout=15_000)
            links = overview.locator("a")
            assert 0 < links.count() < everything
            assert all(links.nth(i).inner_text().startswith("20 kap.") for i in range(links.count()))
            assert all("#K20P" in (links.nth(i).get_attribute("href") or "") for i in range(links.count()))
            page.locator("#overview-query input, #overview-query textarea").first.fill("förhandsbedömning")
            expect(overview.locator("a[href*='#K20P']").first).to_be_attached(timeout=15_000)
            page.locator("#overview-query input, #overview-query textarea").first.fill("ordsomintefinns")
            expect(overview).to_contain_text("Inga nya eller ändrade bestämmelser", timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / f"overview-{width}.png"), full_page=True)
            page.close()
        browser.close()


def test_course_tab_in_the_browser(app_url):
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(app_url)
        page.get_by_role("tab", name="Utbildning").click()
        page.locator("#module input").click()
        page.get_by_role("option", name="Orosanmälan, förhandsbedömning och utredning").click()
        module_text = page.locator("#module-text")
        expect(module_text).to_contain_text("SFS 2025:400 20 kap. 2 §", timeout=30_000)
        expect(module_text).to_contain_text("Gamla lagen, SFS 2001:453 11 kap. 1 a §")

        page.locator("#quiz-start").click()
        question = page.locator("#quiz-question")
        expect(question).to_contain_text("Fråga 1 av 10", timeout=30_000)
        for i in range(10):
            expect(question).to_contain_text(f"Fråga {i + 1} av 10", timeout=15_000)
            options = page.locator("#quiz-options label")
            free = page.locator("#quiz-free textarea, #quiz-free input").first
            deadline = time.time() + 10
            while time.time() < deadline and not (options.count() and options.first.is_visible()) and not free.is_visible():
                time.sleep(0.2)
            if options.count() and options.first.is_visible():
                options.first.click()
            else:
                free.fill("fjorton")
            page.locator("#quiz-answer").click()
            expect(page.locator("#quiz-feedback")).to_contain_text("Källa: SFS 2025:400", timeout=15_000)
            page.locator("#quiz-next").click()
        expect(question).to_contain_text("av 10 rätt", timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / "course.png"), full_page=True)

        page.locator("#handout").click()
        link = page.locator("#course-files a").first
        expect(link).to_be_visible(timeout=30_000)
        with page.expect_download(timeout=30_000) as download:
            link.click()
        path = download.value.path()
        text = "\n".join(pg.extract_text() for pg in PdfReader(path).pages)
        assert "SFS 2025:400 20 kap. 2 §" in text and "i lydelse t.o.m. SFS 2025:1501" in text
        browser.close()


INSATSER_CSV = """namn;målgrupp;beskrivning
Kontaktfamilj;barn;helgvistelse
Kontaktperson;vuxna;
Familjehemsplacering;barn;
Jourhem;barn 0-17 år;
Stödboende;unga 18-20 år;
HVB;ensamkommande unga 18-20;
Säbo;äldre;
Gruppbostad;personer med funktionsnedsättning;
LVM-hem;vuxna med missbruk;
SiS-hem;ungdomar;
Försörjningsstöd;vuxna;
Hemtjänst;äldre;
Boendestöd;vuxna med psykisk ohälsa;
Öppen förskola;familjer;
Samtalsgrupp;ungdomar 13-17 år;
Föräldrastöd;föräldrar;
Skyddat boende;våldsutsatta vuxna;
Kvalificerad kontaktperson;ungdomar;
Budget- och skuldrådgivning;vuxna;
Trygghetslarm;äldre;
"""


def test_reform_tab_in_the_browser(app_url, tmp_path, pdf_to_png):
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    csv_path = tmp_path / "insatser.csv"
    csv_path.write_text(INSATSER_CSV, encoding="utf-8")
    plan_name = f"Testkommun {int(time.time())}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        # Gradio's own labels follow the browser's language: Swedish in a Swedish browser.
        page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True, locale="sv-SE")
        page.goto(app_url)
        page.get_by_role("tab", name="Omställning").click()
        upload = page.locator("#insatser-csv")
        expect(upload).to_contain_text("Släpp fil här")
        assert "Drop File" not in upload.inner_text()
        page.locator("#insatser-csv input[type=file]").set_input_files(str(csv_path))
        page.locator("#insatser-run").click()
        expect(page.locator("#insatser-status")).to_contain_text("20 insatser kartlagda", timeout=60_000)
        table = page.locator("#insatser-table")
        expect(table).to_contain_text("SFS 2025:400 11 kap. 5 § p. 1")
        expect(table).to_contain_text("Kräver alltid individuell behovsprövning")
        expect(table).to_contain_text("Osäker – bedöm manuellt")
        page.screenshot(path=str(ARTIFACTS / "insatser.png"), full_page=True)

        page.get_by_role("tab", name="Omställningsplan").click()
        page.locator("#plan-name textarea, #plan-name input").first.fill(plan_name)
        page.locator("#plan-create").click()
        expect(page.locator("#plan-message")).to_contain_text("skapades", timeout=30_000)
        page.locator("#plan-item input").click()
        page.get_by_role("option", name=re.compile("^tg-3")).click()
        expect(page.locator("#plan-quote")).to_contain_text("SFS 2025:400 11 kap. 5 §", timeout=30_000)
        page.get_by_label("saknas").check()
        page.locator("#plan-owner textarea, #plan-owner input").first.fill("Eva Ek")
        page.locator("#plan-due textarea, #plan-due input").first.fill("2026-06-30")
        page.locator("#plan-save").click()
        expect(page.locator("#plan-message")).to_contain_text("Sparat", timeout=30_000)

        page.reload()  # the plan is in SQLite, not in the page
        page.get_by_role("tab", name="Omställning").click()
        page.get_by_role("tab", name="Omställningsplan").click()
        page.locator("#plan-select input").click()
        page.get_by_role("option", name=plan_name).click()
        expect(page.locator("#plan-table")).to_contain_text("Eva Ek", timeout=30_000)
        page.locator("#plan-pdf").click()
        link = page.locator("#plan-file a").first
        expect(link).to_be_visible(timeout=30_000)
        with page.expect_download(timeout=30_000) as download:
            link.click()
        text = "\n".join(pg.extract_text() for pg in PdfReader(download.value.path()).pages)
        assert plan_name in text and "Eva Ek" in text and "SFS 2025:400 11 kap. 5 §" in text
        assert all(ink > 0.005 for ink in pdf_to_png(Path(download.value.path()).read_bytes(), "plan-pdf"))
        page.screenshot(path=str(ARTIFACTS / "plan.png"), full_page=True)
        browser.close()


def test_several_users_at_once(app_url):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    questions = ["Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?",
                 "Vad innebär insatser utan individuell behovsprövning?",
                 "Vem är skyldig att anmäla oro för att ett barn far illa?"] * 2

    def ask(q):
        return Client(app_url, verbose=False).predict(q, [], api_name="/fraga")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(ask, questions))
    assert [r["question"] for r in results] == questions
    assert all(r["citations"] and not r["abstained"] for r in results)
    assert results[0]["citations"][0]["label"] == results[3]["citations"][0]["label"] == "SFS 2025:400 20 kap. 2 §"


def test_similar_questions_are_asked_with_one_click(app_url):
    """Under an answer, "Liknande frågor" from the question bank; a click asks it."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        _ask(page, "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?")
        bot = page.locator("#chatbot")
        expect(bot).to_contain_text("[1]", timeout=30_000)
        similar = page.locator("#similar")
        expect(similar).to_be_visible(timeout=30_000)
        expect(similar).to_contain_text("Liknande frågor")
        first = similar.locator("button, tr, .gallery-item").filter(has_text=re.compile(r"\w{4}")).first
        asked = first.inner_text().strip()
        assert len(asked) > 10
        page.screenshot(path=str(ARTIFACTS / "similar-questions.png"), full_page=True)
        first.click()
        expect(bot.locator(".user, [data-testid='user']").last).to_contain_text(asked[:40], timeout=30_000)
        expect(bot).to_contain_text("[1]", timeout=30_000)
        browser.close()


def test_the_chat_page_speaks_swedish_and_shows_what_to_ask(app_url):
    """No Gradio copy/share icons with English titles on the chat; the empty chat suggests
    questions; a source that is not indexed is said to be missing, not offered as a filter."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 900})
        page.goto(app_url)
        chat = page.locator("#chatbot")
        expect(chat).to_contain_text("Fråga om nya socialtjänstlagen", timeout=30_000)
        for english in ("Copy conversation", "Copy message", "Share"):
            assert page.locator(f"[aria-label='{english}'], [title='{english}']").count() == 0
        expect(page.locator("#absent-sources")).to_contain_text("Propositionen (Prop. 2024/25:89)")
        expect(page.locator("#sources")).not_to_contain_text("Propositionen")
        expect(page.locator("#sources")).to_contain_text("Utredningen (SOU 2020:47)")
        # a refused message clears the previous answer's sources
        _ask(page, "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?")
        expect(page.locator("#passages")).to_contain_text("SFS 2025:400 20 kap.", timeout=30_000)
        _ask(page, "Hur lång tid har nämnden på sig? " * 90)
        expect(page.locator("#passages")).to_contain_text("Frågan besvarades inte", timeout=30_000)
        expect(page.locator("#passages")).not_to_contain_text("SFS 2025:400 20 kap.")
        browser.close()


def test_a_message_with_markup_is_shown_as_text_and_loads_nothing(app_url):
    """Issue 23 rows 6-7: an image, a link and a form typed into the chat are text in
    the user's bubble and in the follow-up note; nothing is fetched from the planted
    addresses (a listener on loopback records every request) and the page stays."""
    import http.server
    import threading

    from conftest import free_port
    from playwright.sync_api import expect, sync_playwright

    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    port = free_port()
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", port), Recorder)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    message = (f"Hur lång tid tar en förhandsbedömning? <img src={base}/img.png> ![bild]({base}/md.png) "
               f"[länk]({base}/phish) <form action={base}/form><button id=planted>Skicka</button></form> {base}/bare")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            page.locator("#question textarea").fill(message)
            page.locator("#send").click()
            bot = page.locator("#chatbot")
            # answered or refused (the free port's digits in the message move its ranking): the turn is over
            expect(bot).to_contain_text("Referensdatum", timeout=30_000)
            page.locator("#question textarea").fill("och den för ett barn?")  # a follow-up quotes the message
            page.locator("#send").click()
            expect(bot).not_to_contain_text("Söker i källorna", timeout=30_000)
            time.sleep(1)
            expect(bot).to_contain_text("![bild]")  # shown as typed
            expect(bot).to_contain_text("<img src=")
            assert bot.locator("img[src*='127.0.0.1']").count() == 0
            assert bot.locator(f"a[href^='{base}']").count() == 0
            assert bot.locator("form, #planted").count() == 0
            assert page.url.startswith(app_url)
            browser.close()
    finally:
        listener.shutdown()
    assert hits == []


def test_on_a_phone_the_sources_follow_the_answer_and_a_long_answer_opens_at_its_start(app_url):
    """Issue 22 row 16 at 390 px: the answer's sources sit right below the chat (above the question
    box, foldable), a long answer is shown from its first line, and Gradio's toast header is Swedish."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    long_question = ("Vi har fått en orosanmälan om ett barn. Hur lång tid har vi på oss att bedöma om en utredning "
                     "ska inledas, och vad ska vi göra om barnet behöver skydd direkt?")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(app_url)
        expect(page.locator("#chatbot")).to_contain_text("Fråga om nya socialtjänstlagen", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "phone-empty-390.png"))
        # the empty chat leaves the question box on the first screen
        assert page.locator("#question textarea").bounding_box()["y"] < 844 - 40

        def top(selector: str) -> float:
            return page.evaluate(f"() => document.querySelector('{selector}').getBoundingClientRect().top + window.scrollY")

        _ask(page, long_question)
        expect(page.locator("#passages .passage").first).to_be_visible(timeout=30_000)
        expect(page.locator("#chatbot .message.bot").last).to_contain_text("Svar –", timeout=30_000)
        page.wait_for_timeout(800)  # the scroll runs after the answer is rendered
        chat_bottom = page.evaluate("() => { const r = document.querySelector('#chatbot').getBoundingClientRect();"
                                    " return r.bottom + window.scrollY; }")
        assert 0 <= top("#sources-panel") - chat_bottom < 60, "the sources are not right below the chat"
        assert top("#sources-panel") < top("#question") < top("#examples"), "order: chat, sources, question, examples"
        # The answer's first line is in view in the chat box, and the chat is at the top of the screen.
        box = page.locator("#chatbot").bounding_box()
        answer = page.locator("#chatbot .message.bot").last.bounding_box()
        assert answer["height"] > box["height"], "the test needs an answer longer than the chat box"
        assert box["y"] - 5 <= answer["y"] <= box["y"] + 80, (answer, box)
        assert -10 <= box["y"] <= 40, box
        page.screenshot(path=str(ARTIFACTS / "phone-answer-390.png"))
        page.screenshot(path=str(ARTIFACTS / "phone-answer-390-full.png"), full_page=True)
        # the panel folds
        page.locator("#sources-panel button, #sources-panel .label-wrap").first.click()
        expect(page.locator("#passages")).to_be_hidden()

        page.locator("#question textarea").fill("")
        page.locator("#send").click()
        title = page.locator(".toast-title").first
        expect(title).to_be_attached(timeout=10_000)
        # the text itself is Swedish (what a screen reader reads), and so is the close button's label
        expect(title).to_have_text(re.compile(r"^\s*(Varning|Fel)\b"))
        assert page.locator("[data-testid='toast-close']").first.get_attribute("aria-label") == "Stäng"
        # Gradio's own toasts (an error of its own, a lost connection) head themselves "Error": rewritten too
        page.evaluate("""() => { const t = document.createElement('span'); t.className = 'toast-title error';
                                 t.id = 'probe-toast'; t.textContent = 'Error '; document.body.appendChild(t); }""")
        expect(page.locator("#probe-toast")).to_have_text(re.compile(r"^\s*Fel\s*$"))
        page.screenshot(path=str(ARTIFACTS / "phone-toast-390.png"))
        browser.close()
