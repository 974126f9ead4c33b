"""Omställningsplaner: a checklist per reform area (checklist.yaml), each item
derived from a paragraph of the new law; status, owner, due date and notes per
item, kept in one SQLite file in the data directory. Several named plans.

Two browser tabs editing the same item: every item row has a version number,
a save names the version it started from, and a save over someone else's
change is refused with a clear message (optimistic concurrency); SQLite runs in
WAL mode with a busy timeout so concurrent writers wait instead of failing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.privacy import mask_personnummer

CHECKLIST = Path(__file__).with_name("checklist.yaml")
STATUSES = ("", "finns", "delvis", "saknas")


class PlanError(ValueError):
    """A request that cannot be done; the message is for the user (Swedish)."""


class ConflictError(PlanError):
    pass


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    area: str
    label: str
    task: str


@dataclass
class ItemState:
    status: str = ""
    owner: str = ""
    due: str = ""
    notes: str = ""
    version: int = 0
    updated: str = ""


def load_checklist(path: Path = CHECKLIST) -> list[ChecklistItem]:
    return [ChecklistItem(i["id"], area["area"], i["label"], i["task"])
            for area in yaml.safe_load(path.read_text(encoding="utf-8")) for i in area["items"]]


STORAGE_ERROR = ("Planerna kan inte läsas eller sparas just nu: lagringsplatsen ({path}) är full, "
                 "skrivskyddad eller skadad. Kontakta den som driver tjänsten. Frågor besvaras som vanligt.")


class PlanStore:
    """Plans in SQLite in the state dir. The database is opened on first use, so a
    full or read-only state dir costs the reform tab, never the server's start."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    def _schema(self, db) -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript("""
            CREATE TABLE IF NOT EXISTS plans (
                id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS items (
                plan_id INTEGER NOT NULL REFERENCES plans(id), item_id TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', due TEXT NOT NULL DEFAULT '',
                notes TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (plan_id, item_id));
        """)

    @contextmanager
    def _db(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise PlanError(STORAGE_ERROR.format(path=self.path.parent)) from exc
        try:
            db.execute("PRAGMA busy_timeout=10000")
            with self._lock:
                if not self._ready:
                    self._schema(db)
                    self._ready = True
            yield db
        except sqlite3.IntegrityError:
            raise
        except (OSError, sqlite3.DatabaseError) as exc:
            raise PlanError(STORAGE_ERROR.format(path=self.path.parent)) from exc
        finally:
            db.close()

    def create_plan(self, name: str) -> str:
        """Create a plan; the name as stored (personnummer masked, trimmed)."""
        name = mask_personnummer(name or "")[0].strip()  # a plan list is shared: no client in it
        if not name:
            raise PlanError("Ge planen ett namn.")
        if len(name) > 100:
            raise PlanError("Namnet är för långt (högst 100 tecken).")
        with self._db() as db:
            try:
                db.execute("INSERT INTO plans (name, created) VALUES (?, ?)", (name, _now()))
            except sqlite3.IntegrityError as exc:
                raise PlanError(f"Det finns redan en plan som heter ”{name}”.") from exc
        return name

    def plans(self) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT name FROM plans ORDER BY name COLLATE NOCASE")]

    def _plan_id(self, db, name: str) -> int:
        row = db.execute("SELECT id FROM plans WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise PlanError(f"Ingen plan heter ”{name}”.")
        return row[0]

    def items(self, name: str) -> dict[str, ItemState]:
        with self._db() as db:
            plan = self._plan_id(db, name)
            rows = db.execute("SELECT item_id, status, owner, due, notes, version, updated FROM items WHERE plan_id = ?", (plan,))
            return {r[0]: ItemState(*r[1:]) for r in rows}

    def save_item(self, name: str, item_id: str, status: str, owner: str, due: str, notes: str,
                  expected_version: int) -> ItemState:
        """Save one item if nobody saved it since `expected_version`; ConflictError otherwise.
        Personnummer in any field are masked before it is stored."""
        name, owner, notes = (mask_personnummer(x or "")[0] for x in (name, owner, notes))
        if status not in STATUSES:
            raise PlanError(f"Status måste vara en av: {', '.join(s for s in STATUSES if s)}.")
        due = (due or "").strip()
        if due:
            try:
                dt.date.fromisoformat(due)
            except ValueError as exc:
                raise PlanError(f"Datumet ”{due}” ska skrivas ÅÅÅÅ-MM-DD.") from exc
        if item_id not in {i.id for i in load_checklist()}:
            raise PlanError(f"Okänd punkt {item_id!r}.")
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time; others wait (busy_timeout)
            try:
                plan = self._plan_id(db, name)
                row = db.execute("SELECT version FROM items WHERE plan_id = ? AND item_id = ?", (plan, item_id)).fetchone()
                current = row[0] if row else 0
                if current != expected_version:
                    raise ConflictError("Punkten har ändrats i en annan flik eller av någon annan sedan du öppnade den. "
                                        "Ladda om planen och gör ändringen igen.")
                state = ItemState(status, owner.strip(), due, notes.strip(), current + 1, _now())
                db.execute(
                    "INSERT INTO items (plan_id, item_id, status, owner, due, notes, version, updated) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(plan_id, item_id) DO UPDATE SET "
                    "status=excluded.status, owner=excluded.owner, due=excluded.due, notes=excluded.notes, "
                    "version=excluded.version, updated=excluded.updated",
                    (plan, item_id, state.status, state.owner, state.due, state.notes, state.version, state.updated),
                )
                db.execute("COMMIT")
                return state
            except BaseException:
                db.execute("ROLLBACK")
                raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def plan_markdown(name: str, states: dict[str, ItemState], retriever, versions: list[str]) -> str:
    """The cited action plan: per area, each item with its paragraph's opening
    sentence quoted verbatim, and the plan's status, owner, due date and notes."""
    from assistant.course.export import _footer
    from assistant.parsing.text import sentences

    lines = [f"# Omställningsplan: {name}", "", "Handlingsplan inför och efter den nya socialtjänstlagen "
             "(SFS 2025:400). Varje punkt bygger på den citerade paragrafen.", ""]
    area = None
    for item in load_checklist():
        if item.area != area:
            area = item.area
            lines += [f"## {area}", ""]
        state = states.get(item.id, ItemState())
        passages = retriever.lookup(item.label)
        quote = sentences(passages[0].text)[0] if passages else ""
        lines.append(f"- **{item.task}** – status: {state.status or 'ej bedömd'}"
                     + (f", ansvarig: {state.owner}" if state.owner else "") + (f", klart senast: {state.due}" if state.due else ""))
        lines.append(f"  {item.label}: ”{quote}”")
        if state.notes:
            lines.append(f"  Anteckningar: {state.notes}")
        lines.append("")
    return "\n".join(lines + _footer(versions)) + "\n"
