"""One conversation pipeline behind every interface: the CLI, the chat's API
(/fraga), MCP and the pipeline itself give the same routed result; the MCP
server's tools, called with the `mcp` package's own client over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

MESSAGES = {
    "comparison": "Vad motsvarar 11 kap. 1 a § i gamla SoL?",
    "changes": "Vad är nytt om förhandsbedömning?",
    "answer": "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?",
}


def _routed(result: dict) -> tuple:
    """What must agree between interfaces: the route, the labels and the quotes."""
    return result["kind"], result["abstained"], [(c["label"], c["quote"]) for c in result["citations"]]


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"ASSISTANT_DATA_DIR": str(settings.index_dir.parent), "ASSISTANT_DATE": settings.date}
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def _mcp(url: str, calls: list[tuple[str, dict]]):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        async with streamable_http_client(url) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = [t.name for t in (await session.list_tools()).tools]
                return tools, [await session.call_tool(name, args) for name, args in calls]

    return asyncio.run(run())


def _post(url: str, payload: dict) -> dict:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{url}/api/fraga", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return {"status": exc.code} | json.loads(exc.read())


def test_plain_json_api_refuses_bad_input_in_swedish(server):
    assert _post(server[0], {"question": ""}) == {"status": 400, "error": "Frågan är tom. Skriv en fråga om socialtjänstlagen."}
    assert _post(server[0], {"fraga": "fel fält"})["status"] == 400
    # wrong types (issue 23 row 11): a Swedish 400, never a 500, and the input is not echoed
    question = "Hur lång tid har nämnden på sig för en förhandsbedömning?"
    for bad in ({"question": question, "sources": 5}, {"question": question, "sources": True},
                {"question": question, "sources": [["x"]]}, {"question": question, "sources": [{}]},
                {"question": question, "history": 5}, {"question": question, "history": True},
                {"question": question, "history": "en sträng"}, ["en lista"], "bara text", 1.5):
        reply = _post(server[0], bad)
        assert reply["status"] == 400 and any(w in reply["error"] for w in ("ska vara", "Ange", "Skicka")), bad
        assert "en sträng" not in reply["error"], bad  # the input is not echoed
    import urllib.error
    import urllib.request

    for body, kind in ((b"{inte json", "application/json"), (b"", "application/json"), (b"question=x", "text/plain")):
        request = urllib.request.Request(f"{server[0]}/api/fraga", data=body, headers={"Content-Type": kind})
        try:
            urllib.request.urlopen(request, timeout=60)
            raise AssertionError("accepted")
        except urllib.error.HTTPError as exc:
            reply = json.loads(exc.read())
            assert exc.code in (400, 415) and "JSON" in reply["error"] and "inte json" not in reply["error"]


def _content(result) -> object:
    data = result.structuredContent
    if data is None:
        data = json.loads(result.content[0].text)
    return data.get("result", data) if isinstance(data, dict) and set(data) == {"result"} else data


def test_no_interface_module_imports_the_cli():
    offenders = [str(p) for p in (ROOT / "assistant" / "ui").glob("*.py")
                 if "from assistant.cli" in p.read_text() or "import assistant.cli" in p.read_text()]
    assert offenders == []


def test_pipeline_routes_each_kind(assistant):
    for kind, message in MESSAGES.items():
        turn = assistant.respond(message)
        assert turn.kind == kind, message
        assert not turn.abstained and turn.cited_labels()
    comparison = assistant.respond(MESSAGES["comparison"]).comparison
    assert comparison.asked == "SFS 2001:453 11 kap. 1 a §"
    assert "SFS 2025:400 20 kap. 2 §" in [s.label for s in comparison.new]


def test_a_repeated_question_gets_the_same_answer_as_its_own_copy(assistant):
    """Answers are kept per process; each caller gets a copy it may change."""
    first = assistant.respond("Hur lång tid har socialnämnden på sig för en förhandsbedömning?")
    first.answer.citations.clear()
    first.answer.text = "ändrad"
    again = assistant.respond("Hur lång tid har socialnämnden på sig för en förhandsbedömning?")
    assert again.answer is not first.answer and again.answer.text != "ändrad"
    assert "SFS 2025:400 20 kap. 2 §" in again.cited_labels()


def test_same_routed_result_through_cli_api_and_mcp(assistant, indexed_settings, server):
    from gradio_client import Client

    web_url, mcp_url = server
    expected = {kind: _routed(assistant.respond(m).to_dict()) for kind, m in MESSAGES.items()}
    client = Client(web_url, verbose=False)
    _, results = _mcp(mcp_url, [("answer_question", {"question": m}) for m in MESSAGES.values()])
    for (kind, message), mcp_result in zip(MESSAGES.items(), results):
        cli = _cli(indexed_settings, "ask", "--json", message)
        assert cli.returncode == 0, cli.stderr
        assert _routed(json.loads(cli.stdout)) == expected[kind], f"CLI: {message}"
        assert _routed(client.predict(message, [], api_name="/fraga")) == expected[kind], f"/fraga: {message}"
        assert _routed(_post(web_url, {"question": message})) == expected[kind], f"/api/fraga: {message}"
        assert not mcp_result.isError
        assert _routed(_content(mcp_result)) == expected[kind], f"MCP: {message}"
    assert expected["comparison"][0] == "comparison" and expected["changes"][0] == "changes"


def test_a_follow_up_is_resolved_the_same_way_everywhere(assistant, server):
    previous = "Vilka insatser får ges utan individuell behovsprövning?"
    turn = assistant.respond("och för äldre?", [previous])
    assert turn.follow_up and turn.question.startswith(previous.rstrip("?"))
    _, [result] = _mcp(server[1], [("answer_question", {"question": "och för äldre?", "previous_questions": [previous]})])
    data = _content(result)
    assert data["follow_up"] and data["question"] == turn.question
    # A new question with its own topic is never glued to the previous one.
    fresh = assistant.respond("Vad är familjehem?", ["Hur lång tid har nämnden för förhandsbedömning?"])
    assert not fresh.follow_up and fresh.question == "Vad är familjehem?"


def test_mcp_lists_and_calls_every_tool(server, retriever):
    calls = [
        ("search_passages", {"query": "förhandsbedömning inom fjorton dagar", "k": 3}),
        ("get_paragraph", {"label": "SFS 2025:400 20 kap. 2 §"}),
        ("compare_old_new", {"reference": "11 kap. 1 a § gamla SoL"}),
        ("answer_question", {"question": "Vem är skyldig att anmäla oro för att ett barn far illa?"}),
        ("whats_new", {"chapter": "20"}),
        ("get_paragraph", {"label": "SFS 2025:400 99 kap. 1 §"}),
    ]
    tools, results = _mcp(server[1], calls)
    assert set(tools) == {"search_passages", "get_paragraph", "compare_old_new", "answer_question", "whats_new"}
    search, paragraph, comparison, answer, new, unknown = (_content(r) if not r.isError else r for r in results)

    def verbatim(label: str, text: str) -> bool:
        parts = retriever.lookup(label)
        return bool(text) and (text in "\n\n".join(p.text for p in parts) or any(text in p.text for p in parts))

    assert search[0]["label"] == "SFS 2025:400 20 kap. 2 §" and verbatim(search[0]["label"], search[0]["text"])
    assert paragraph["label"] == "SFS 2025:400 20 kap. 2 §" and "fjorton dagar" in paragraph["text"]
    assert verbatim(paragraph["label"], paragraph["text"])
    assert comparison["asked"] == "SFS 2001:453 11 kap. 1 a §"
    assert all(verbatim(side["label"], side["text"]) for side in comparison["old"] + comparison["new"])
    assert answer["kind"] == "answer" and not answer["abstained"]
    assert all(verbatim(c["label"], c["quote"]) for c in answer["citations"])
    assert any(c["label"].startswith("SFS 2025:400") for c in answer["citations"])
    assert new and all(item["label"].startswith("SFS 2025:400 20 kap.") for item in new)
    assert all(verbatim(item["label"], item["text"]) for item in new)
    assert unknown.isError and "finns inte i källorna" in unknown.content[0].text


def test_the_client_limiter_counts_per_client_and_forgets_idle_clients():
    from assistant.ui.limits import BUSY, TOO_MUCH, ClientLimiter

    limiter = ClientLimiter(limit=2, chars_per_minute=0)
    assert limiter.admit("a") is None and limiter.admit("a") is None
    assert limiter.admit("a") == BUSY and "samtidigt" in BUSY
    assert limiter.admit("b") is None  # another client is not held up
    limiter.release("a")
    assert limiter.admit("a") is None
    for client in ("a", "a", "b"):
        limiter.release(client)
    assert limiter._active == {}

    # the text budget: 1,000 characters a minute per client, on a clock the test moves
    now = [0.0]
    budget = ClientLimiter(limit=0, chars_per_minute=1000, clock=lambda: now[0])
    assert budget.admit("a", 600) is None and budget.admit("a", 300) is None
    assert budget.admit("a", 200) == TOO_MUCH and "Vänta en minut" in TOO_MUCH  # 1,100 > 1,000: not counted
    assert budget.admit("b", 900) is None  # another client has its own budget
    now[0] = 30.0
    assert budget.admit("a", 100) is None and budget.admit("a", 1) == TOO_MUCH
    now[0] = 60.5  # the first two messages are a minute old
    assert budget.admit("a", 800) is None
    now[0] = 200.0
    assert budget.admit("c", 5000) is None  # one message larger than the budget costs the whole budget
    assert set(budget._sent) == {"c"}  # idle clients are forgotten
    # a question refused for being one too many is not charged against the text budget
    both = ClientLimiter(limit=1, chars_per_minute=1000, clock=lambda: now[0])
    assert both.admit("d", 600) is None and both.admit("d", 600) == BUSY
    both.release("d")
    assert both.admit("d", 400) is None


def test_one_client_cannot_take_every_answer_slot(server):
    """Issue 23 row 18 (per-client limit): a burst of 40 simultaneous questions from one address gets
    some Swedish 429s, while a question from another loopback address is answered meanwhile, and the
    first address is answered again once its burst is over."""
    import http.client
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlparse

    from assistant.ui.limits import BUSY, PER_CLIENT

    url = urlparse(server[0])
    body = json.dumps({"question": "Vi fick en orosanmälan från skolan i går om en elev som ofta kommer hungrig och "
                                   "säger att pappa är arg hemma. Hur lång tid har nämnden på sig att bedöma om en "
                                   "utredning ska inledas, och vad gäller om barnet behöver skydd direkt?"})
    start = threading.Barrier(41)

    def post(source: str, wait: bool = True) -> tuple[int, dict]:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120, source_address=(source, 0))
        if wait:
            start.wait()
        conn.request("POST", "/api/fraga", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = json.loads(response.read())
        conn.close()
        return response.status, data

    with ThreadPoolExecutor(max_workers=41) as pool:
        burst = [pool.submit(post, "127.0.0.1") for _ in range(40)]
        other = pool.submit(post, "127.0.0.2")
        results = [f.result() for f in burst]
        other_status, other_data = other.result()
    statuses = [status for status, _ in results]
    assert statuses.count(200) >= PER_CLIENT and 429 in statuses, statuses
    assert all(data == {"error": BUSY} for status, data in results if status == 429)
    assert other_status == 200 and other_data["citations"], other_data
    status, data = post("127.0.0.1", wait=False)
    assert status == 200 and data["citations"]


ENGLISH = ("object", "type", "Input should", "validation error", "Error executing", "Traceback", "iterable",
           "unhashable", "Field required")


def test_wrong_argument_types_are_refused_in_swedish_by_gradio_and_mcp(server):
    """Issue 23 row 12: Gradio's /fraga and the MCP tools called with wrong types answer in
    Swedish, name the argument, and neither echo the input nor show Python's or pydantic's text."""
    from gradio_client import Client

    client = Client(server[0], verbose=False)
    question = "Hur lång tid har nämnden på sig för en förhandsbedömning?"
    for args in ((5, []), (None, []), ([question], []), (question, 5), (question, [["x"]]), (question, [{}])):
        with pytest.raises(Exception) as caught:
            client.predict(*args, api_name="/fraga")
        message = str(caught.value)
        assert ("ska vara" in message or "Ange frågan" in message), (args, message)
        assert not any(w in message for w in ENGLISH), (args, message)
    assert client.predict(question, [], api_name="/fraga")["kind"] == "answer"  # the right types still work

    calls = [("search_passages", {"query": 5}, "query ska vara text"),
             ("search_passages", {"query": "förhandsbedömning", "k": 1.5}, "k ska vara ett heltal"),
             ("search_passages", {"query": "förhandsbedömning", "k": "många"}, "k ska vara ett heltal"),
             ("get_paragraph", {}, "label saknas"),
             ("get_paragraph", {"label": ["SFS 2025:400 20 kap. 2 §"]}, "label ska vara text"),
             ("compare_old_new", {"reference": {"x": 1}}, "reference ska vara text"),
             ("answer_question", {"question": question, "previous_questions": "en sträng 19850701-1234"},
              "previous_questions ska vara en lista med text"),
             ("answer_question", {"question": question, "previous_questions": [5]}, "previous_questions"),
             ("whats_new", {"chapter": 20.5}, "chapter ska vara text"),
             ("inget_verktyg", {"x": 1}, "finns inte")]
    _, results = _mcp(server[1], [(name, args) for name, args, _ in calls])
    for (name, args, expected), result in zip(calls, results):
        text = result.content[0].text
        assert result.isError, (name, args)
        assert expected in text and name in text, (name, text)
        assert not any(w in text for w in ENGLISH), (name, args, text)
        assert "1234" not in text and "många" not in text, text  # nothing of the input echoed


@pytest.mark.parametrize("message", ["", "   "])
def test_bad_input_is_refused_in_swedish_by_the_pipeline(assistant, message):
    from assistant.answering.extractive import QuestionError

    with pytest.raises(QuestionError, match="Frågan är tom"):
        assistant.respond(message)


def test_a_conversation_of_new_questions_is_never_glued(assistant):
    """The issue's conversation: after a förhandsbedömning question, every new
    question with its own topic is answered as if asked alone."""
    messages = ["Hur lång tid har nämnden på sig för en förhandsbedömning?", "Vad är familjehem?",
                "Vem är skyldig att anmäla oro för att ett barn far illa?",
                "Om en förälder sitter häktad, vem ansöker om insatser för barnet?",
                "Det här med lex Sarah, vem rapporterar?", "För vilka gäller hemtjänst utan behovsprövning?",
                "Får kommunen ta ut avgift för hemtjänst?", "Vad är en SIP?"]
    history: list[str] = []
    for message in messages:
        turn = assistant.respond(message, history)
        assert not turn.follow_up and turn.question == message
        assert turn.cited_labels() == assistant.respond(message).cited_labels()
        history.append(turn.message)
    assert assistant.respond("Vad är familjehem?", messages[:1]).cited_labels()[0] == "SFS 2025:400 9 kap. 2 §"
