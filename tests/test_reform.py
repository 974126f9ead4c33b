"""Reform support: insats matching with known answers (written by reading SFS
2025:400 11 kap. 5 § and 21 kap. 2 §), CSV errors, and the SQLite plans."""

import threading

import pytest

from assistant.reform.insatser import CsvError, Insats, InsatsMapper, read_csv, to_csv, to_markdown
from assistant.reform.plan import ConflictError, PlanError, PlanStore, load_checklist, plan_markdown

# (local name, target group, expected verdict, point of 11 kap. 5 § or None, needs review)
KNOWN = [
    ("Kontaktfamilj", "barn 5-12 år", "kräver", "1", False),
    ("Stödfamilj", "barn", "kräver", "1", False),
    ("Kontaktperson", "vuxna", "kräver", "1", False),
    ("Kvalificerad kontaktperson", "ungdomar", "kräver", "1", False),
    ("Familjehemsplacering", "barn", "kräver", "2", False),
    ("LVM-hem", "vuxna med missbruk", "kräver", "3", False),
    ("SiS-hem", "ungdomar", "kräver", "4", False),
    ("Jourhem", "barn 0-17 år", "kräver", "5", False),
    ("Stödboende", "unga 18-20 år", "kräver", "5", False),
    ("HVB", "ensamkommande unga 18-20", "kräver", "5", False),
    ("Skyddat boende", "våldsutsatta vuxna", "kräver", "5", True),  # point 5 is about barn and unga 18-20
    ("Säbo", "äldre", "kräver", "6", False),
    ("Vård- och omsorgsboende", "äldre", "kräver", "6", False),
    ("Gruppbostad", "personer med funktionsnedsättning", "kräver", "6", False),
    ("Försörjningsstöd", "vuxna", "ekonomi", None, False),
    ("Hemtjänst", "äldre", "utan", None, False),
]


@pytest.fixture(scope="module")
def mapper(retriever):
    return InsatsMapper(retriever)


def test_the_list_is_read_from_the_law(mapper):
    points = {e.point: e for e in mapper.exceptions}
    assert sorted(points) == [str(n) for n in range(1, 8)]
    assert "kontaktfamilj" in points["1"].terms and "hem för vård eller boende" in points["5"].terms
    assert points["5"].age_limited and not points["1"].age_limited


@pytest.mark.parametrize("name, group, verdict, point, review", KNOWN, ids=[k[0] for k in KNOWN])
def test_known_insatser(mapper, retriever, name, group, verdict, point, review):
    m = mapper.map(Insats(name, group))
    assert m.verdict == verdict
    assert m.needs_review is review
    if point:
        assert m.quote_label == f"SFS 2025:400 11 kap. 5 § p. {point}"
        assert m.quote in retriever.lookup("SFS 2025:400 11 kap. 5 §")[0].text  # verbatim
        assert m.confidence >= (0.5 if review else 0.85)


def test_uncertain_names_are_flagged_not_guessed(mapper):
    for name in ("Öppen förskola", "Trygghetslarm", "Föräldrastödsprogram X"):
        m = mapper.map(Insats(name, "familjer"))
        assert m.needs_review and m.verdict == "osäker" and m.review_reason


def test_children_get_the_consent_rule(mapper):
    m = mapper.map(Insats("Samtalsstöd", "barn 13-17 år"))
    assert "SFS 2025:400 21 kap. 2 §" in m.children and "vårdnadshavarens samtycke" in m.children


def test_csv_reading_and_errors():
    ok = read_csv("namn;målgrupp;beskrivning\nKontaktfamilj;barn;helger\nSäbo;äldre;\n".encode())
    assert [(i.name, i.target_group, i.description) for i in ok] == [("Kontaktfamilj", "barn", "helger"), ("Säbo", "äldre", "")]
    assert read_csv("Name,Target group\nHemtjänst,äldre\n".encode("utf-8-sig"))[0].name == "Hemtjänst"
    with pytest.raises(CsvError, match="tom"):
        read_csv(b"")
    with pytest.raises(CsvError, match="Fel kolumner"):
        read_csv(b"insatsnamn;pris\nA;1\n")
    with pytest.raises(CsvError, match="inte UTF-8"):
        read_csv("namn;målgrupp\nSäbo;äldre\n".encode("cp1252"))
    with pytest.raises(CsvError, match="inga insatser"):
        read_csv("namn;målgrupp\n".encode())
    with pytest.raises(CsvError, match="Rad 3"):
        read_csv("namn;målgrupp\nA;b\n;c\n".encode())


def test_outputs(mapper):
    mappings = [mapper.map(Insats("Kontaktfamilj", "barn")), mapper.map(Insats("Öppen förskola", "familjer"))]
    csv_text = to_csv(mappings)
    assert csv_text.splitlines()[0].startswith("Insats;Målgrupp;Bedömning") and "11 kap. 5 § p. 1" in csv_text
    md = to_markdown(mappings, ["SFS 2025:400 i lydelse t.o.m. SFS 2025:1501"])
    assert "## Kontaktfamilj (barn)" in md and "GRANSKA" in md and "i lydelse t.o.m." in md


def test_plans_persist_and_refuse_lost_updates(tmp_path, retriever):
    path = tmp_path / "plans.sqlite"
    tab1, tab2 = PlanStore(path), PlanStore(path)
    tab1.create_plan("Kommun A")
    tab1.create_plan("Kommun B")
    # a plan list is shared: a personnummer in a name is masked, and the stored name returned
    stored = tab1.create_plan("Klient pnr 19850701-1234 plan")
    assert stored == "Klient pnr [personnummer borttaget] plan" and stored in tab1.plans()
    assert not any("1234" in p for p in tab1.plans())
    with pytest.raises(PlanError, match="finns redan"):
        tab2.create_plan("Kommun A")
    saved = tab1.save_item("Kommun A", "fb-1", "delvis", "Anna", "2026-03-01", "påbörjat", 0)
    assert saved.version == 1
    # The second tab opened the item before the first saved it: its save is refused.
    with pytest.raises(ConflictError, match="annan flik"):
        tab2.save_item("Kommun A", "fb-1", "finns", "Bo", "", "", 0)
    assert PlanStore(path).items("Kommun A")["fb-1"].owner == "Anna"  # a new connection: still there
    assert PlanStore(path).items("Kommun B") == {}
    with pytest.raises(PlanError, match="ÅÅÅÅ-MM-DD"):
        tab1.save_item("Kommun A", "fb-2", "finns", "", "1 mars", "", 0)
    with pytest.raises(PlanError, match="Status"):
        tab1.save_item("Kommun A", "fb-2", "klart", "", "", "", 0)


def test_concurrent_writers_do_not_lose_or_corrupt(tmp_path):
    path = tmp_path / "plans.sqlite"
    PlanStore(path).create_plan("P")
    items = [i.id for i in load_checklist()][:8]
    errors = []

    def writer(item_id):
        store = PlanStore(path)
        try:
            version = 0
            for n in range(5):
                version = store.save_item("P", item_id, "delvis", f"ägare {n}", "", "", version).version
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    states = PlanStore(path).items("P")
    assert all(states[i].version == 5 and states[i].owner == "ägare 4" for i in items)


def test_plan_markdown_is_cited(tmp_path, retriever):
    store = PlanStore(tmp_path / "p.sqlite")
    store.create_plan("K")
    store.save_item("K", "tg-3", "saknas", "Eva", "2026-06-30", "", 0)
    md = plan_markdown("K", store.items("K"), retriever, ["SFS 2025:400 i lydelse t.o.m. SFS 2025:1501"])
    assert "## Tillgänglighet" in md and "SFS 2025:400 11 kap. 5 §: ”Socialnämnden får tillhandahålla" in md
    assert "status: saknas, ansvarig: Eva, klart senast: 2026-06-30" in md
    labels = retriever.store.labels()
    assert all(item.label in labels for item in load_checklist())
