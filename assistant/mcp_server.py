"""MCP server: the conversation pipeline as tools for the AI assistant staff
already use (`assistant mcp` over stdio, `assistant mcp --http` or
`assistant serve --mcp` over streamable HTTP at /mcp).

Every tool returns canonical labels ("SFS 2025:400 20 kap. 2 §") and verbatim
source text; a cited answer has gone through the same routing and verification
as in the chat.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import asdict
from typing import Any

from assistant.config import Settings
from assistant.privacy import mask_personnummer

INSTRUCTIONS = (
    "Verktyg för socialtjänstlagen (SFS 2025:400, i kraft 1 juli 2025), gamla socialtjänstlagen "
    "(SFS 2001:453), propositionen, utredningen och artiklar. Svaren är ordagranna citat med "
    "kanoniska hänvisningar. Citera hänvisningen och texten som de är; skriv inga personuppgifter."
)


_EXPECTED = {  # pydantic error type -> what the argument should be, in Swedish
    "string_type": "text", "int_type": "ett heltal", "int_parsing": "ett heltal",
    "int_from_float": "ett heltal", "list_type": "en lista med text",
}


def swedish_tool_error(name: str, exc: Exception) -> str:
    """The message an MCP client sees when a tool fails, in Swedish and without
    echoing the arguments: pydantic's English validation errors name the argument
    and the expected type; our own ValueErrors are already Swedish; anything else
    is an internal error (logged, never shown)."""
    import logging

    from pydantic import ValidationError

    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        parts = []
        for err in cause.errors():
            arg = next((str(x) for x in err.get("loc", ()) if isinstance(x, str)), "argumentet")
            kind = err.get("type", "")
            if kind == "missing":
                parts.append(f"{arg} saknas")
            else:
                parts.append(f"{arg} ska vara {_EXPECTED.get(kind, 'av rätt typ (se verktygets schema)')}")
        return f"Fel argument till {name}: " + "; ".join(dict.fromkeys(parts)) + "."
    if isinstance(cause, ValueError):
        return str(cause)
    if cause is None and str(exc).startswith("Unknown tool"):
        return f"Verktyget {name!r} finns inte."
    logging.getLogger(__name__).warning("MCP-verktyget %s misslyckades (%s)", name,
                                        cause.__class__.__name__ if cause else exc.__class__.__name__)
    return f"Verktyget {name} kunde inte köras (internt fel)."


def build_server(settings: Settings, provider=None, host: str = "127.0.0.1", port: int = 8765):
    """A FastMCP server whose tools call one Assistant: the one `provider()`
    returns (the web app's), or one loaded on the first call. Tool errors reach
    the client in Swedish (`swedish_tool_error`)."""
    from mcp.server.fastmcp import FastMCP
    from mcp.server.fastmcp.exceptions import ToolError

    class SwedishFastMCP(FastMCP):
        async def call_tool(self, name, arguments):
            try:
                return await super().call_tool(name, arguments)
            except ToolError as exc:
                raise ToolError(swedish_tool_error(name, exc)) from None

    from assistant.answering.extractive import QuestionError
    from assistant.conversation import Assistant
    from assistant.conversation.pipeline import parse_sources, passage_dict

    lock = threading.Lock()
    box: dict = {}

    def get() -> Assistant:
        if provider is not None:
            return provider()
        with lock:
            if "assistant" not in box:
                box["assistant"] = Assistant(settings)
            return box["assistant"]

    server = SwedishFastMCP("socialtjanstlagen", instructions=INSTRUCTIONS, host=host, port=port,
                     stateless_http=True, json_response=True, log_level="WARNING")

    def text(value: str | None) -> str:
        """A text argument with personnummer masked first (they then reach neither the
        search nor an error message)."""
        return mask_personnummer(str(value or ""))[0]

    def day(value: str | None) -> str | None:
        """A date argument: ÅÅÅÅ-MM-DD between 2002 and 2100, or None; ValueError in Swedish."""
        if not value:
            return None
        try:
            parsed = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("Datumet ska skrivas ÅÅÅÅ-MM-DD, t.ex. 2025-09-01.") from None
        if not dt.date(2002, 1, 1) <= parsed <= dt.date(2100, 12, 31):
            raise ValueError("Datumet ska ligga mellan 2002-01-01 och 2100-12-31.")
        return parsed.isoformat()

    def checked(call):
        try:
            return call()
        except QuestionError as exc:
            raise ValueError(str(exc)) from None

    @server.tool()
    def search_passages(query: str, k: int = 5, sources: str = "", date: str = "") -> list[dict[str, Any]]:
        """Sök avsnitt i källorna. Ger de k bästa avsnitten: kanonisk hänvisning (label), ordagrann text,
        rubrik, länk och poäng. sources begränsar: ny,gammal,lag,proposition,utredning,artiklar.
        date (ÅÅÅÅ-MM-DD) väljer lydelsen som gällde den dagen."""
        k = max(1, min(int(k), 20))
        return checked(lambda: get().search(text(query), k=k, filters=parse_sources(sources), date=day(date)))

    @server.tool()
    def get_paragraph(label: str, date: str = "") -> dict[str, Any]:
        """Hämta en paragraf ordagrant med dess kanoniska hänvisning, t.ex. "SFS 2025:400 20 kap. 2 §",
        "SFS 2001:453 11 kap. 1 a §" eller "SFS 2025:400 övergångsbestämmelser 2025:400 p. 3".
        date (ÅÅÅÅ-MM-DD) väljer lydelsen som gällde den dagen. preparatory_works: utredningens
        (SOU 2020:47) författningskommentar till det förslag som paragrafen i nya lagen motsvarar."""
        assistant = get()
        label = text(label)
        parts = assistant.paragraph(label, day(date))
        if not parts:
            raise ValueError(f"{label.strip()!r} finns inte i källorna (ange t.ex. \"SFS 2025:400 20 kap. 2 §\").")
        first = passage_dict(parts[0])
        return first | {"text": "\n\n".join(p.text for p in parts),
                        "preparatory_works": assistant.preparatory([first["label"]])}

    @server.tool()
    def compare_old_new(reference: str, date: str = "") -> dict[str, Any]:
        """Jämför en paragraf i gamla och nya socialtjänstlagen: motsvarigheterna, deras ordagranna
        texter och vad som ändrats. reference t.ex. "11 kap. 1 a § gamla SoL" eller "20 kap. 2 §"."""
        comparison = get().compare(text(reference), day(date))
        if comparison is None:
            raise ValueError("Ange en paragraf, t.ex. \"11 kap. 1 a § gamla SoL\" eller \"20 kap. 2 §\".")
        if comparison.missing:
            raise ValueError(comparison.missing)
        data = asdict(comparison)
        data["relation_sv"] = comparison.relation
        data["basis_sv"] = comparison.basis
        data["preparatory_works"] = get().preparatory([s.label for s in comparison.new])
        return data

    @server.tool()
    def answer_question(question: str, previous_questions: list[str] | None = None, sources: str = "",
                        date: str = "") -> dict[str, Any]:
        """Besvara en fråga om socialtjänstlagen med ordagranna citat, som chatten gör: en fråga om
        vad en paragraf motsvarar blir en jämförelse, "vad är nytt om X" en ändringssammanfattning.
        När källorna inte besvarar frågan är abstained sant. previous_questions: samtalets tidigare
        frågor, så att en följdfråga ("och för äldre?") läses med dem. similar_questions: upp till tre
        närliggande frågor ur frågebanken om andra paragrafer."""
        history = [text(q) for q in (previous_questions or []) if isinstance(q, str)]
        return checked(lambda: get().respond(text(question), history, filters=parse_sources(sources),
                                             date=day(date)).to_dict())

    @server.tool()
    def whats_new(chapter: str = "", query: str = "") -> list[dict[str, Any]]:
        """Nytt från 1 juli 2025: nya bestämmelser och de mest ändrade paragraferna i SFS 2025:400,
        med kanonisk hänvisning, rubrik, vad den motsvarar i gamla lagen och länk. chapter (t.ex. "20")
        och query (fritext) filtrerar."""
        from assistant.changes.overview import filter_groups

        assistant = get()
        return [asdict(item) | {"chapter": group, "text": "\n\n".join(p.text for p in assistant.paragraph(item.label))}
                for group, items in filter_groups(assistant.overview(), text(chapter) or None, text(query) or None).items()
                for item in items]

    return server


def serve_http_in_thread(settings: Settings, provider=None, host: str = "127.0.0.1", port: int = 8765):
    """Run the streamable-HTTP MCP server beside the web app (daemon thread)."""
    import uvicorn

    server = build_server(settings, provider, host, port)
    config = uvicorn.Config(server.streamable_http_app(), host=host, port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True, name="mcp-http")
    thread.start()
    return web, thread
