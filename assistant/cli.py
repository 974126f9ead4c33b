"""Command line: `assistant fetch | ingest | ask | status | repl`.

    assistant fetch                 # official documents, or the local mirror
    assistant ingest                # parse + index (incremental)
    assistant ask "fråga" [--json] [--date 2025-09-01] [--source ny,gammal]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

EXIT_BAD_INPUT = 2
EXIT_NOT_READY = 3


class SwedishArgumentParser(argparse.ArgumentParser):
    """argparse with its errors in Swedish, exit 2 (bad input), no traceback."""

    _PHRASES = [
        (r"unrecognized arguments: (.*)", r"okända argument: \1"),
        (r"the following arguments are required: (.*)", r"följande argument saknas: \1"),
        (r"argument (\S+): invalid choice: (\S+) \(choose from (.*)\)", r"argument \1: ogiltigt val \2 (välj bland \3)"),
        (r"argument (\S+): invalid int value: (.*)", r"argument \1: inte ett heltal: \2"),
        (r"argument (\S+): invalid float value: (.*)", r"argument \1: inte ett tal: \2"),
        (r"argument (\S+): expected one argument", r"argument \1: ett värde saknas"),
    ]

    def error(self, message: str):
        import re

        for pattern, swedish in self._PHRASES:
            message = re.sub(pattern, swedish, message)
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"Fel: {message}\n")


def _whole(value: str, low: int, high: int = 100) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ange ett heltal, inte {value[:20]!r}") from None
    if not low <= n <= high:
        raise argparse.ArgumentTypeError(f"ange ett heltal mellan {low} och {high}, inte {n}")
    return n


def _count(value: str) -> int:
    """A number of passages or quiz questions: 1-100."""
    return _whole(value, 1)


def _extra(value: str) -> int:
    """How many more (0-100)."""
    return _whole(value, 0)


def _date(value: str) -> str:
    """A reference date ÅÅÅÅ-MM-DD between 2002 and 2100."""
    import datetime as dt

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ange datumet som ÅÅÅÅ-MM-DD, inte {value[:20]!r}") from None
    if not 2002 <= day.year <= 2100:
        raise argparse.ArgumentTypeError("ange ett datum mellan 2002 och 2100")
    return value

def _settings(args):
    from assistant.config import load_settings

    return load_settings(
        config_file=getattr(args, "config", None),
        data_dir=getattr(args, "data_dir", None),
        reference_date=getattr(args, "date", None),
    )


def cmd_fetch(args) -> int:
    from assistant.sources.fetch import fetch_all
    from assistant.sources.manifest import load_manifest

    settings = _settings(args)
    docs = load_manifest(settings.manifest)
    if not settings.mirror_dir:
        print("Ingen lokal spegel är inställd (ASSISTANT_MIRROR); försöker hämta allt.", file=sys.stderr)
    results = fetch_all(docs, settings, force_download=args.download, timeout=args.timeout)
    for r in results:
        print(f"{r.status:10s} {r.doc.id}: {r.message}")
    missing = [r for r in results if r.path is None]
    print(f"\n{len(results) - len(missing)} av {len(results)} dokument finns lokalt; {len(missing)} saknas.")
    return 0


def cmd_ingest(args) -> int:
    from assistant.index.generations import DiskFull
    from assistant.index.ingest import IngestBusy, ingest

    settings = _settings(args)
    try:
        report = ingest(settings, progress=not args.quiet)
    except (IngestBusy, DiskFull) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_NOT_READY
    labels = {"indexed": "indexerad", "unchanged": "oförändrad", "missing": "SAKNAS", "failed": "FEL"}
    for d in report.docs:
        extra = f" ({d.message})" if d.message else ""
        origin = f" [{d.origin}]" if d.origin else ""
        print(f"{labels[d.status]:10s} {d.doc_id}{origin}: {d.passages} avsnitt{extra}")
    for note in report.notes:
        print(f"Obs: {note}")
    print(
        f"\n{report.passages_total} avsnitt i indexet; {report.embedded} nya/ändrade inbäddade; "
        f"{report.count('missing')} dokument saknas, {report.count('failed')} kunde inte läsas; "
        f"{report.seconds:.1f} s."
    )
    return 0


def _assistant(settings):
    from assistant.conversation import Assistant

    return Assistant(settings)


def render_turn(turn, assistant, as_json: bool = False) -> str:
    """A turn as printable text (or JSON)."""
    from assistant.answering.render import render_text
    from assistant.changes.compare import render_comparison_text

    if as_json:
        return json.dumps(turn.to_dict(), ensure_ascii=False, indent=2, default=str)
    lines = [f"Tolkad som: {turn.question}\n"] if turn.follow_up else []
    if turn.comparison is not None:
        return "\n".join(lines + [render_comparison_text(turn.comparison)])
    answer = turn.answer
    nearest = {label: (assistant.retriever.lookup(label) or [None])[0] for label in answer.nearest}
    similar = ["\nLiknande frågor:"] + [f"  – {q['question']}" for q in turn.similar] if turn.similar else []
    return "\n".join(lines + [render_text(answer, nearest_texts={label: p.text for label, p in nearest.items() if p})]
                     + similar)


def cmd_ask(args) -> int:
    from assistant.answering.extractive import QuestionError, validate_question
    from assistant.conversation.pipeline import parse_sources
    from assistant.retrieval.hybrid import IndexMissing

    settings = _settings(args)
    message = " ".join(args.question)
    try:
        validate_question(message, settings.max_question_chars)  # bad input fails before the index loads
        filters = parse_sources(args.source)
    except (QuestionError, ValueError) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        assistant = _assistant(settings)
    except IndexMissing as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_NOT_READY
    try:
        turn = assistant.respond(message, filters=filters, k=args.k)
    except QuestionError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(render_turn(turn, assistant, args.json))
    return 0


def cmd_repl(args) -> int:
    from assistant.answering.extractive import QuestionError
    from assistant.retrieval.hybrid import IndexMissing

    settings = _settings(args)
    try:
        assistant = _assistant(settings)
    except IndexMissing as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return EXIT_NOT_READY
    print("Ställ en fråga om socialtjänstlagen (tom rad eller Ctrl-D avslutar).")
    print("Skriv inga personuppgifter om klienter.")
    history: list[str] = []
    while True:
        try:
            message = input("\nFråga> ")
        except EOFError:
            break
        if not message.strip():
            break
        try:
            turn = assistant.respond(message, history)
        except QuestionError as exc:
            print(f"Fel: {exc}")
            continue
        print(render_turn(turn, assistant))
        history.append(turn.message)
    return 0


def load_concordance(retriever):
    from assistant.conversation import load_concordance

    return load_concordance(retriever)


def _retriever_or_exit(settings):
    from assistant.retrieval.hybrid import HybridRetriever, IndexMissing

    try:
        return HybridRetriever(settings)
    except IndexMissing as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return None


def cmd_concordance(args) -> int:
    settings = _settings(args)
    retriever = _retriever_or_exit(settings)
    if retriever is None:
        return EXIT_NOT_READY
    concordance = load_concordance(retriever)
    if args.json:
        for pair in concordance.pairs:
            print(pair.to_json())
        return 0
    for p in concordance.pairs:
        print(f"{p.old or '(ny)':32s} -> {', '.join(p.new) or '(ingen)':60s} {p.relation:14s} {p.score:.2f} {p.basis}")
    return 0


def cmd_compare(args) -> int:
    from assistant.changes.compare import compare, render_comparison_text

    settings = _settings(args)
    retriever = _retriever_or_exit(settings)
    if retriever is None:
        return EXIT_NOT_READY
    comparison = compare(" ".join(args.reference), retriever, load_concordance(retriever))
    if comparison is None:
        print("Fel: ange en paragraf, t.ex. \"11 kap. 1 a § gamla SoL\" eller \"20 kap. 2 §\"", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(render_comparison_text(comparison))
    return 0 if not comparison.missing else EXIT_BAD_INPUT


def cmd_changes(args) -> int:
    from assistant.changes.overview import overview, render_markdown

    settings = _settings(args)
    retriever = _retriever_or_exit(settings)
    if retriever is None:
        return EXIT_NOT_READY
    concordance = load_concordance(retriever)
    print(render_markdown(overview(concordance, retriever), concordance.basis))
    return 0


def cmd_course(args) -> int:
    from assistant.course import module_passages
    from assistant.course.export import markdown_to_pdf, module_markdown, quiz_markdown
    from assistant.course.modules import find_module, load_modules, render_module
    from assistant.course.quiz import generate_quiz
    from assistant.sources.versions import statute_versions

    modules = load_modules()
    if args.action == "list":
        for m in modules:
            print(f"{m.id:24s} {m.title}")
        return 0
    if not args.module:
        print("Fel: ange en modul (se `assistant course list`)", file=sys.stderr)
        return EXIT_BAD_INPUT
    module = find_module(modules, args.module)
    if module is None:
        print(f"Fel: ingen modul heter {args.module!r} (se `assistant course list`)", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = _settings(args)
    retriever = _retriever_or_exit(settings)
    if retriever is None:
        return EXIT_NOT_READY
    versions = statute_versions(settings)
    if args.action == "quiz" or (args.action == "export" and args.quiz):
        items = generate_quiz(module_passages(module, retriever), args.n, args.seed)
        if args.llm:
            from assistant.answering.llm import LLMAnswerer, make_answerer
            from assistant.course.llm_quiz import llm_quiz

            answerer = make_answerer(settings, retriever)
            if not isinstance(answerer, LLMAnswerer):
                print("Obs: ingen språkmodell är inställd (ASSISTANT_ANSWERER); bara regelbaserade frågor.", file=sys.stderr)
            else:
                items += llm_quiz(module_passages(module, retriever)[:6], answerer, args.llm)
        text = quiz_markdown(items, module.title, with_key=args.key, versions=versions)
    else:
        text = module_markdown(render_module(module, retriever, load_concordance(retriever)), versions)
    if args.action in ("show", "quiz"):
        print(text)
        return 0
    out = args.out or f"{module.id}{'-quiz' if args.quiz else ''}.{args.format}"
    data = markdown_to_pdf(text, module.title) if args.format == "pdf" else text.encode("utf-8")
    try:
        with open(out, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        import errno

        why = {errno.ENOENT: "katalogen finns inte", errno.EACCES: "du får inte skriva där",
               errno.ENOSPC: "disken är full", errno.EROFS: "platsen är skrivskyddad",
               errno.EISDIR: "det är en katalog"}.get(exc.errno, "filen går inte att skriva")
        print(f"Fel: kan inte skriva {out}: {why}.", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Skrev {out}")
    return 0


def _has_index(settings) -> bool:
    if (settings.index_dir / "passages.jsonl").exists():
        return True
    print(f"Fel: inget index i {settings.index_dir}: kör `assistant ingest` först", file=sys.stderr)
    return False


def cmd_serve(args) -> int:
    from assistant.ui.app import serve

    settings = _settings(args)
    if not _has_index(settings):
        return EXIT_NOT_READY
    print(f"Öppna http://{args.host}:{args.port} i webbläsaren (Ctrl-C avslutar).")
    if args.mcp:
        print(f"MCP-servern (streamable HTTP): http://{args.host}:{args.mcp_port}/mcp")
    serve(settings, host=args.host, port=args.port, mcp_port=args.mcp_port if args.mcp else None)
    return 0


def cmd_mcp(args) -> int:
    from assistant.mcp_server import build_server

    settings = _settings(args)
    if not _has_index(settings):
        return EXIT_NOT_READY
    server = build_server(settings, host=args.host, port=args.port)
    if args.http:
        print(f"MCP-servern (streamable HTTP): http://{args.host}:{args.port}/mcp (Ctrl-C avslutar).", file=sys.stderr)
        server.run(transport="streamable-http")
    else:
        server.run(transport="stdio")
    return 0


def cmd_status(args) -> int:
    settings = _settings(args)
    state_path = settings.index_dir / "state.json"
    if not state_path.exists():
        print(f"Inget index i {settings.index_dir}.")
        return EXIT_NOT_READY
    state = json.loads(state_path.read_text())
    print(f"Index: {settings.index_dir}\nModell: {state.get('embedding_model')}\nReferensdatum: {settings.date}")
    for doc_id, info in state["documents"].items():
        print(f"  {doc_id}: {info['passages']} avsnitt ({info['path']})")
    from assistant.bank.adapter import BankIndex, bank_dir

    bank = BankIndex.load(bank_dir(settings.index_dir))
    if bank is None:
        print("Frågebank: ingen (corpus/questions är tom eller indexet byggdes utan den)")
    else:
        m = bank.meta
        print(f"Frågebank: {m.get('questions')} frågor ({m.get('answerable')} med etikett, "
              f"{m.get('out_of_scope')} utanför lagen) från {len(m.get('writers', []))} skribenter, "
              f"{m.get('labels')} paragrafer; frågeadapter "
              + ("tränad" if bank.adapter is not None else "saknas")
              + f" (λ = {m.get('lambda')}), bankens hash {str(m.get('bank'))[:12]}")
    return 0


BANK_TARGET = {"new": 8, "old": 2}  # questions wanted per paragraph of the new and the old law


def _bank_labels(settings) -> dict[str, str]:
    """label -> 'new' | 'old' for the paragraphs the bank should cover: every paragraph and
    transitional point of the new law, every paragraph of the old law in force at repeal."""
    from assistant.bank.data import label_texts
    from assistant.index.store import PassageStore

    store_path = settings.index_dir / "passages.jsonl"
    if store_path.exists():
        passages = PassageStore.load(store_path).passages
        out = {}
        for p in passages:
            if p.kind != "statute" or p.repealed or (p.law_version == "old" and "övergångs" in p.label):
                continue
            out[p.label] = p.law_version
        return out
    return {label: "new" if label.startswith("SFS 2025") else "old" for label in label_texts(settings, ("statute",))
            if "övergångs" not in label or label.startswith("SFS 2025")}


def cmd_bank(args) -> int:
    from assistant.bank.data import load_bank

    settings = _settings(args)
    if args.action == "stats":
        from assistant.bank.review import stats

        bank = load_bank(evals=[])
        labels = _bank_labels(settings)
        result = stats(bank.questions, list(labels))
        gaps = {label: n for label, n in result["per_label"].items() if n < BANK_TARGET[labels[label]]}
        if args.json:
            print(json.dumps(result | {"gaps": gaps}, ensure_ascii=False, indent=1))
            return 0
        print(f"Frågebanken: {result['questions']} frågor, varav {result['out_of_scope']} utanför lagen, "
              f"från {len(result['writers'])} skribenter ({', '.join(f'{w} {n}' for w, n in result['writers'].items())})")
        print(f"{'kapitel':42s} {'paragrafer':>10s} {'frågor':>7s} {'minst':>6s}")
        for chapter, row in result["chapters"].items():
            print(f"{chapter:42s} {row['paragraphs']:10d} {row['questions']:7d} {row['fewest']:6d}")
        print(f"\nLuckor (färre än {BANK_TARGET['new']} frågor per paragraf i nya lagen, "
              f"{BANK_TARGET['old']} i gamla): {len(gaps)}")
        for label, n in gaps.items():
            print(f"  {label}: {n}")
        return 0
    from assistant.bank.data import label_texts
    from assistant.bank.review import decide, proposals

    state = settings.writable_dir
    if args.accept or args.reject or args.accept_all:
        new = {p.n for p in proposals(state) if p.status == "ny"}
        accept = new if args.accept_all else set(args.accept or [])
        accepted, problems = decide(state, accept, set(args.reject or []), label_texts(settings))
        for q in accepted:
            print(f"godkänd: {q}")
        for problem in problems:
            print(f"inte godkänd: {problem}", file=sys.stderr)
        print(f"{len(accepted)} godkända, {len(set(args.reject or []) & new)} avvisade. "
              "Kör `assistant ingest` så att de godkända frågorna lärs in.")
        return EXIT_BAD_INPUT if problems else 0
    items = [p for p in proposals(state) if p.status == "ny"]
    if not items:
        print("Inga nya förslag att granska.")
        return 0
    for p in items:
        print(f"[{p.n}] {p.question}\n     -> {p.label}: {' '.join(p.answers)[:160]}")
    print("\nGodkänn med `assistant bank review --accept N ...`, avvisa med `--reject N ...`.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = SwedishArgumentParser(prog="assistant", description="Frågor och svar om socialtjänstlagen, med källor.")
    parser.add_argument("--config", help="inställningsfil (TOML, avsnitt [assistant])")
    parser.add_argument("--data-dir", help="datakatalog (index och hämtade källor)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=SwedishArgumentParser)

    p = sub.add_parser("fetch", help="hämta de officiella dokumenten (eller använd den lokala spegeln)")
    p.add_argument("--download", action="store_true", help="hämta även det som finns i spegeln")
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("ingest", help="läs in och indexera källorna (inkrementellt)")
    p.add_argument("--quiet", action="store_true", help="ingen förloppsindikator")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="ställ en fråga")
    p.add_argument("question", nargs="*", help="frågan")
    p.add_argument("--json", action="store_true", help="maskinläsbart svar")
    p.add_argument("--date", type=_date, help="referensdatum (ÅÅÅÅ-MM-DD) för vilken lydelse som gäller; standard idag")
    p.add_argument("--k", type=_count, default=None, help="antal avsnitt att hämta")
    p.add_argument("--source", help="begränsa källorna: ny,gammal,lag,proposition,utredning,artiklar")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("repl", help="ställ frågor i terminalen")
    p.add_argument("--date", type=_date)
    p.set_defaults(func=cmd_repl)

    p = sub.add_parser("concordance", help="gamla lagens paragrafer och deras motsvarigheter i nya lagen")
    p.add_argument("--json", action="store_true", help="ett JSON-objekt per rad")
    p.set_defaults(func=cmd_concordance)

    p = sub.add_parser("compare", help="jämför en paragraf i gamla och nya lagen, ord för ord")
    p.add_argument("reference", nargs="+", help='t.ex. "11 kap. 1 a § gamla SoL" eller "20 kap. 2 §"')
    p.add_argument("--date", type=_date)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("changes", help="översikt: nytt från 1 juli 2025")
    p.set_defaults(func=cmd_changes)

    p = sub.add_parser("course", help="utbildning: moduler, quiz och utskrifter")
    p.add_argument("action", choices=["list", "show", "quiz", "export"])
    p.add_argument("module", nargs="?", help="modulens id eller en del av titeln")
    p.add_argument("--n", type=_count, default=10, help="antal quizfrågor")
    p.add_argument("--seed", type=int, default=1, help="samma seed ger samma quiz")
    p.add_argument("--key", action="store_true", help="ta med facit")
    p.add_argument("--llm", type=_extra, default=0, help="lägg till så många frågor skrivna av språkmodellen (kontrolleras)")
    p.add_argument("--quiz", action="store_true", help="exportera quizet i stället för modulen")
    p.add_argument("--format", choices=["md", "pdf"], default="pdf")
    p.add_argument("--out", help="filnamn")
    p.set_defaults(func=cmd_course)

    p = sub.add_parser("serve", help="starta chatten i webbläsaren")
    p.add_argument("--host", default=os.environ.get("ASSISTANT_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("ASSISTANT_PORT", "7860")))
    p.add_argument("--date", type=_date)
    p.add_argument("--mcp", action="store_true", help="starta även MCP-servern (streamable HTTP) för AI-assistenter")
    p.add_argument("--mcp-port", type=int, default=int(os.environ.get("ASSISTANT_MCP_PORT", "8765")))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mcp", help="MCP-server för AI-assistenter (stdio, eller --http)")
    p.add_argument("--http", action="store_true", help="streamable HTTP i stället för stdio")
    p.add_argument("--host", default=os.environ.get("ASSISTANT_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("ASSISTANT_MCP_PORT", "8765")))
    p.add_argument("--date", type=_date)
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("bank", help="frågebanken: statistik och granskning av personalens förslag")
    p.add_argument("action", choices=["stats", "review"])
    p.add_argument("--json", action="store_true")
    p.add_argument("--accept", type=int, nargs="+", metavar="N", help="godkänn förslag N")
    p.add_argument("--reject", type=int, nargs="+", metavar="N", help="avvisa förslag N")
    p.add_argument("--accept-all", action="store_true", help="godkänn alla nya förslag som klarar kontrollen")
    p.set_defaults(func=cmd_bank)

    p = sub.add_parser("status", help="visa vad som är indexerat")
    p.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except Exception as exc:  # last resort: one clear line, not a stack trace
        from assistant.index.embeddings import EmbeddingModelError
        from assistant.index.generations import IndexIncomplete
        from assistant.retrieval.hybrid import IndexMissing
        from assistant.sources.manifest import ManifestError

        if isinstance(exc, (EmbeddingModelError, ManifestError, IndexMissing, IndexIncomplete, ValueError)):
            print(f"Fel: {exc}", file=sys.stderr)
            return EXIT_NOT_READY
        raise
