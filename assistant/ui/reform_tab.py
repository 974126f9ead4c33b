"""The "Omställning" tab: insatskartläggning (typed list or CSV upload -> cited
table, CSV/Markdown/PDF) and omställningsplaner (SQLite, several named plans)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from assistant.course.export import markdown_to_pdf
from assistant.reform.insatser import HEADER, CsvError, InsatsMapper, parse_typed, read_csv, rows, to_csv, to_markdown
from assistant.reform.plan import ConflictError, PlanError, PlanStore, load_checklist, plan_markdown
from assistant.ui import downloads

# The page shows the short, decisive columns first so they fit on screen; the
# exports keep HEADER's order.
SHOWN = ["Insats", "Målgrupp", "Bedömning", "Säkerhet", "Granska", "Källa", "Styrande paragrafer",
         "Barn (21 kap. 2 §)", "Ändring från gamla lagen", "Matchat mot lagens ord", "Citat"]
PLAN_COLUMNS = ["Område", "Punkt", "Paragraf", "Status", "Ansvarig", "Klart senast", "Anteckningar"]


def local_time(iso: str) -> str:
    """'2026-12-01T23:58:04+00:00' -> '2026-12-01 kl. 00:58' in Swedish time."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    try:
        from zoneinfo import ZoneInfo

        moment = moment.astimezone(ZoneInfo("Europe/Stockholm"))
    except Exception:  # no time zone database: the machine's own zone
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d kl. %H:%M")


def _plans_unavailable(fn):
    """A handler whose plan storage fails (state dir full, read-only): Gradio shows the
    Swedish reason instead of its English "Error"; the rest of the app goes on."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PlanError as exc:
            raise gr.Error(str(exc), title="Fel", print_exception=False) from None

    return wrapper


def build_reform_tab(service, settings, demo) -> None:
    store = PlanStore(settings.writable_dir / "plans.sqlite")
    checklist = load_checklist()
    item_choices = [f"{i.id} – {i.task}" for i in checklist]
    mapper_cache: dict[str, InsatsMapper] = {}

    def mapper() -> InsatsMapper:
        if "m" not in mapper_cache:
            answerer = service.get()
            mapper_cache["m"] = InsatsMapper(answerer.retriever, service.concordance, settings.date)
        return mapper_cache["m"]

    def kartlagg(typed, upload):
        try:
            if upload:
                if not Path(upload).exists():
                    raise CsvError("Filen är redan läst och borttagen från servern. Ladda upp den igen.")
                data = Path(upload).read_bytes()
                Path(upload).unlink(missing_ok=True)  # Gradio's copy of the upload is not kept (it may name a client)
                insatser = read_csv(data)
            else:
                insatser = parse_typed(typed or "")
        except CsvError as exc:
            return gr.update(value=[]), f"**Obs:** {exc}", None, []
        if not insatser:
            return gr.update(value=[]), "**Obs:** Skriv in insatser (en per rad) eller ladda upp en CSV-fil.", None, []
        mappings = [mapper().map(i) for i in insatser]
        review = sum(m.needs_review for m in mappings)
        status = f"{len(mappings)} insatser kartlagda; {review} markerade för granskning av en människa."
        order = [HEADER.index(c) for c in SHOWN]
        return [[row[i] for i in order] for row in rows(mappings)], status, None, mappings

    def export(mappings, kind):
        if not mappings:
            raise gr.Error("Kartlägg insatserna först.", title="Fel")
        if kind == "csv":
            return downloads.write(to_csv(mappings).encode("utf-8-sig"), "insatskartlaggning.csv")
        md = to_markdown(mappings, service.versions)
        if kind == "md":
            return downloads.write(md.encode("utf-8"), "insatskartlaggning.md")
        return downloads.write(markdown_to_pdf(md, "Insatskartläggning"), "insatskartlaggning.pdf")

    @_plans_unavailable
    def plan_table(name):
        if not name:
            return []
        states = store.items(name)
        out = []
        for item in checklist:
            s = states.get(item.id)
            out.append([item.area, item.task, item.label, s.status if s else "", s.owner if s else "",
                        s.due if s else "", s.notes if s else ""])
        return out

    @_plans_unavailable
    def refresh_plans(current=None):
        plans = store.plans()
        return gr.update(choices=plans, value=current if current in plans else (plans[0] if plans else None))

    def create(name):
        try:
            stored = store.create_plan(name)
        except PlanError as exc:
            return gr.update(), f"**Obs:** {exc}", gr.update()
        # the name as stored: a personnummer in it is neither shown back nor selected unmasked
        return refresh_plans(stored), f"Planen ”{stored}” skapades.", ""

    @_plans_unavailable
    def load_item(plan, choice):
        # No status yet is None: an empty string is not among the Radio's choices
        # (Gradio would answer with its own English error).
        if not plan or not choice:
            return None, "", "", "", 0, ""
        item_id = choice.split(" – ")[0]
        s = store.items(plan).get(item_id)
        label = next(i.label for i in checklist if i.id == item_id)
        passages = service.get().retriever.lookup(label)
        quote = f"**{label}**: ”{passages[0].text.split(chr(10))[0]}”" if passages else label
        if s is None:
            return None, "", "", "", 0, quote
        return s.status or None, s.owner, s.due, s.notes, s.version, quote

    def save(plan, choice, status, owner, due, notes, version):
        if not plan:
            return version, "**Obs:** Välj eller skapa en plan först.", gr.update()
        if not choice:
            return version, "**Obs:** Välj en punkt.", gr.update()
        try:
            state = store.save_item(plan, choice.split(" – ")[0], status or "", owner or "", due or "", notes or "", int(version or 0))
        except ConflictError as exc:
            return version, f"**Obs:** {exc}", plan_table(plan)
        except PlanError as exc:
            return version, f"**Obs:** {exc}", gr.update()
        return state.version, f"Sparat {local_time(state.updated)}.", plan_table(plan)

    @_plans_unavailable
    def plan_pdf(plan):
        if not plan:
            raise gr.Error("Välj en plan först.", title="Fel")
        md = plan_markdown(plan, store.items(plan), service.get().retriever, service.versions)
        return downloads.write(markdown_to_pdf(md, f"Omställningsplan: {plan}"), "omstallningsplan.pdf")

    with gr.Tab("Omställning", id="reform-tab"):
        with gr.Tab("Insatskartläggning", id="insatser-tab"):
            gr.Markdown("Kommunens insatser mot nya lagen: får de ges utan individuell behovsprövning "
                        "(11 kap. 5 §, för barn 21 kap. 2 §), vilka paragrafer styr och vad har ändrats? "
                        "Osäkra matchningar markeras för granskning.")
            with gr.Row():
                typed = gr.Textbox(label="Insatser, en per rad: namn; målgrupp; beskrivning", lines=6,
                                   elem_id="insatser-text", placeholder="Kontaktfamilj; barn\nSäbo; äldre\nBoendestöd; vuxna")
                upload = gr.File(label="…eller en CSV-fil (kolumner: namn, målgrupp, beskrivning)", file_types=[".csv"],
                                 type="filepath", elem_id="insatser-csv")
            run = gr.Button("Kartlägg", variant="primary", elem_id="insatser-run")
            status = gr.Markdown("", elem_id="insatser-status")
            table = gr.Dataframe(headers=SHOWN, interactive=False, wrap=True, max_chars=160, max_height=1600, elem_id="insatser-table",
                                 column_widths=["10%", "7%", "13%", "7%", "7%", "9%", "10%", "8%", "10%", "9%", "10%"])
            with gr.Row():
                csv_btn = gr.Button("Skapa CSV", elem_id="insatser-csv-out")
                md_btn = gr.Button("Skapa Markdown", elem_id="insatser-md-out")
                pdf_btn = gr.Button("Skapa PDF", elem_id="insatser-pdf-out")
            out_file = gr.File(label="Nedladdning", interactive=False, elem_id="insatser-file")
            mappings = gr.State([])
            run.click(kartlagg, [typed, upload], [table, status, out_file, mappings], api_visibility="private")
            csv_btn.click(lambda m: export(m, "csv"), mappings, out_file, api_visibility="private")
            md_btn.click(lambda m: export(m, "md"), mappings, out_file, api_visibility="private")
            pdf_btn.click(lambda m: export(m, "pdf"), mappings, out_file, api_visibility="private")

        with gr.Tab("Omställningsplan", id="plan-tab"):
            with gr.Row():
                plan = gr.Dropdown([], label="Plan", elem_id="plan-select")
                new_name = gr.Textbox(label="Ny plan", placeholder="T.ex. Socialförvaltningen 2026", elem_id="plan-name")
                create_btn = gr.Button("Skapa plan", elem_id="plan-create")
            message = gr.Markdown("", elem_id="plan-message")
            item = gr.Dropdown(item_choices, label="Punkt", elem_id="plan-item")
            quote = gr.Markdown("", elem_id="plan-quote")
            with gr.Row():
                item_status = gr.Radio(["finns", "delvis", "saknas"], label="Status", elem_id="plan-status")
                owner = gr.Textbox(label="Ansvarig", elem_id="plan-owner")
                due = gr.Textbox(label="Klart senast (ÅÅÅÅ-MM-DD)", elem_id="plan-due")
            notes = gr.Textbox(label="Anteckningar", lines=2, elem_id="plan-notes")
            version = gr.State(0)
            with gr.Row():
                save_btn = gr.Button("Spara punkten", variant="primary", elem_id="plan-save")
                pdf_plan = gr.Button("Skapa handlingsplan (PDF)", elem_id="plan-pdf")
            plan_file = gr.File(label="Handlingsplan", interactive=False, elem_id="plan-file")
            overview = gr.Dataframe(headers=PLAN_COLUMNS, interactive=False, wrap=True, elem_id="plan-table")

            create_btn.click(create, new_name, [plan, message, new_name], api_visibility="private")
            plan.change(plan_table, plan, overview, api_visibility="private")
            plan.change(load_item, [plan, item], [item_status, owner, due, notes, version, quote], api_visibility="private")
            item.change(load_item, [plan, item], [item_status, owner, due, notes, version, quote], api_visibility="private")
            save_btn.click(save, [plan, item, item_status, owner, due, notes, version], [version, message, overview],
                           api_visibility="private")
            pdf_plan.click(plan_pdf, plan, plan_file, api_visibility="private")
    demo.load(lambda: refresh_plans(), None, plan, api_visibility="private")  # plans saved before a reload
