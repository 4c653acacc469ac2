"""Localisation: complete kk/ru catalogues, complete instrument texts, per-locale number formatting with
identical released values, the staff language choice, and reliability side by side per language."""

from __future__ import annotations

import html as htmlmod
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from wellbeing.core.instruments import load_instrument

from .helpers import close, fill_wave, open_wave
from .test_gate import small_wave  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "wellbeing" / "translations"
LANGS = ("kk", "ru")
KAZAKH_LETTERS = set("әғқңөұүһі")


def _catalogue(lang: str):  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Every interface string, extracted now from the code and templates (as `make translations` does)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True,
                   capture_output=True)
    with open(pot, "rb") as fh:
        return [m.id for m in read_po(fh) if m.id]


@pytest.mark.parametrize("lang", LANGS)
def test_every_interface_string_is_translated(extracted, lang):
    cat = _catalogue(lang)
    assert len(extracted) > 200
    problems = []
    for msgid in extracted:
        msg = cat.get(msgid)
        if msg is None:
            problems.append(f"not in the catalogue (run `make translations`): {msgid!r}")
        elif "fuzzy" in msg.flags:
            problems.append(f"fuzzy: {msgid!r}")
        elif not (all(msg.string) if isinstance(msg.string, tuple) else msg.string):
            problems.append(f"empty msgstr: {msgid!r}")
    for msg, errors in cat.check():  # placeholders (%(name)s) must match the msgid's
        problems += [f"{msg.id!r}: {e}" for e in errors]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_matches_the_po_file(lang):
    """The committed .mo is what `make translations` compiles from the .po (no stale binary)."""
    po = _catalogue(lang)
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    def norm(s):  # type: ignore[no-untyped-def]
        return tuple(s) if isinstance(s, (list, tuple)) else s

    assert {norm(m.id): norm(m.string) for m in po if m.id} == {norm(m.id): norm(m.string) for m in mo if m.id}


def test_kazakh_catalogue_is_kazakh_not_russian():
    """Kazakh Cyrillic: the Kazakh-specific letters occur throughout the catalogue."""
    cat = _catalogue("kk")
    texts = [m.string for m in cat if m.id and isinstance(m.string, str) and len(m.string) > 40]
    with_kk = [t for t in texts if KAZAKH_LETTERS & set(t.lower())]
    assert len(with_kk) > 0.9 * len(texts)
    used = set("".join(m.string if isinstance(m.string, str) else "".join(m.string) for m in cat if m.id).lower())
    assert KAZAKH_LETTERS - {"һ"} <= used


SHIPPED = sorted((ROOT / "surveys").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_instrument_has_text_in_each_available_language(path):
    inst = load_instrument(path)
    missing = []

    def need(texts, where):  # type: ignore[no-untyped-def]
        for lang in inst.available_languages:
            if not (texts or {}).get(lang, "").strip():
                missing.append(f"{where} [{lang}]")

    need(inst.name, "name")
    for extra, texts in (("refers_to", inst.refers_to), ("instructions", inst.instructions)):
        if texts:
            need(texts, extra)
    for rs_id, rs in inst.response_sets.items():
        for o in rs.options:
            need(o.label, f"response set {rs_id} option {o.value}")
    if not inst.structure_only:
        for it in inst.items:
            need(it.text, f"item {it.id}")
    for sc in inst.scales:
        need(sc.name, f"scale {sc.id}")
        for b in sc.bands:
            need(b.label, f"scale {sc.id} band {b.id}")
            if b.meaning:
                need(b.meaning, f"scale {sc.id} band {b.id} meaning")
    assert not missing, f"{path.name}: " + "; ".join(missing)
    assert "en" in inst.languages and set(inst.languages) <= {"kk", "ru", "en"}
    for lang in inst.available_languages:
        if lang == "kk" and not inst.structure_only:
            assert any(KAZAKH_LETTERS & set(it.text["kk"].lower()) for it in inst.items), path.name


# ------------------------------------------------------------------------ pages in three languages

PASSWORD = "correct-horse-1"


@pytest.fixture
def multilingual_wave(app):  # type: ignore[no-untyped-def]
    from wellbeing.services.users import create_user

    open_wave(app, instruments=("cbi", "who5"))

    def answer(rng, inst, group, i):  # type: ignore[no-untyped-def]
        # A common factor per response, so that alpha is high and comparable across languages.
        level = rng.normal(0, 1)
        out = {}
        for it in inst.items:
            rs = inst.response_sets[it.response_set].values
            k = int(round((len(rs) - 1) / 2 + level * 1.2 + rng.normal(0, 0.8)))
            k = min(max(k, 0), len(rs) - 1)
            v = sorted(rs)[k]
            out[it.id] = v
        return out

    for lang, n, seed in (("ru", 45, 1), ("kk", 40, 2), ("en", 35, 3)):
        fill_wave(app, "w1", {"akm-d1-u1--all": n // 2, "akm-d2-u1--all": n - n // 2}, seed=seed,
                  answer=answer, language=lang)
    close(app, "w1")
    with app.app_context():
        create_user("psy", "psychologist", PASSWORD)
    return "w1"


def _login(app, lang: str):  # type: ignore[no-untyped-def]
    c = app.test_client()
    c.set_cookie("wb_lang", lang)
    r = c.post("/auth/login", data={"name": "psy", "password": PASSWORD})
    assert r.status_code in (302, 303)
    return c


def _numbers(html: str, lang: str) -> list[float]:
    """The numbers in the page's numeric cells, parsed by the page's locale."""
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(.*?)</td>', html, re.S)
    out = []
    for cell in cells:
        text = htmlmod.unescape(re.sub(r"<[^>]+>", " ", cell))
        text = text.replace("\u2212", "-")
        if lang in ("ru", "kk"):
            assert not re.search(r"\d\.\d", text), f"decimal point on a {lang} page: {text!r}"
            text = re.sub(r"(?<=\d)[\u00a0\u202f ](?=\d{3})", "", text).replace(",", ".")
        else:
            assert not re.search(r"\d,\d", text), f"decimal comma on an en page: {text!r}"
        out += [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text)]
    return out


def test_released_values_are_identical_across_languages_only_formatting_differs(app, multilingual_wave):
    pages = {lang: _login(app, lang).get(f"/results/{multilingual_wave}?by=group").get_data(as_text=True)
             for lang in ("en", "ru", "kk")}
    assert "Reliability by language" in pages["en"]
    assert "Надёжность по языкам" in pages["ru"] and 'lang="ru"' in pages["ru"]
    assert "Тілдер бойынша сенімділік" in pages["kk"] and 'lang="kk"' in pages["kk"]
    assert re.search(r'<td class="num[^"]*"[^>]*>\s*0,\d\d', pages["ru"])      # α with a decimal comma
    assert re.search(r'<td class="num[^"]*"[^>]*>\s*0\.\d\d', pages["en"])
    values = {lang: _numbers(html, lang) for lang, html in pages.items()}
    assert len(values["en"]) > 50
    assert values["ru"] == values["en"] == values["kk"]


def test_reliability_is_shown_side_by_side_per_language_with_status(app, multilingual_wave):
    html = _login(app, "en").get(f"/results/{multilingual_wave}").get_data(as_text=True)
    table = re.search(r'<table class="reliability" data-scale="cbi.work">(.*?)</table>', html, re.S).group(1)
    heads = re.findall(r'<th class="num" data-lang="(\w+)">', table)
    assert heads == ["en", "kk", "ru", "all"]
    assert table.count("provisional translation") == 2 and "original" in table   # kk, ru provisional; en original
    alphas = re.findall(r'data-stat="alpha">\s*([0-9.]+)', table)
    assert len(alphas) == 4 and all(0.6 < float(a) <= 1 for a in alphas)
    assert "item–total r" in table and "w1" in table
    assert re.findall(r'class="equivalence" data-flag="(yes|no)"', table)


def test_staff_choose_their_language_on_the_account_page(app, multilingual_wave):
    c = _login(app, "en")
    page = c.get("/auth/account").get_data(as_text=True)
    assert "Interface language" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    r = c.post("/auth/language", data={"language": "kk", **({"csrf_token": token.group(1)} if token else {})})
    assert r.status_code == 303
    assert "Интерфейс тілі өзгертілді." in c.get("/auth/account").get_data(as_text=True)
    assert "Нәтижелер" in c.get("/results/").get_data(as_text=True)


def test_survey_messages_from_the_service_are_translated(app, client):
    open_wave(app)
    r = client.post("/survey/", data={"code": "ABCD", "language": "ru"})
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "Код введён с ошибкой" in body and "27 символов" in body
    r = client.post("/survey/", data={"code": "ABCD", "language": "kk"})
    assert "Код қате терілген" in r.get_data(as_text=True)


@pytest.mark.parametrize("lang, expected", [("kk", "Әл-ауқат туралы анонимді сауалнама"),
                                             ("ru", "Анонимный опрос о самочувствии")])
def test_public_pages_follow_the_language_cookie(client, lang, expected):
    client.set_cookie("wb_lang", lang)
    page = client.get("/survey/").get_data(as_text=True)
    assert expected in page and f'lang="{lang}"' in page


def test_lazy_service_messages_print_in_english_outside_a_request(app):
    from wellbeing.services.submissions import SurveyError, start

    with app.app_context():
        with pytest.raises(SurveyError) as info:
            start("ABCD", "kk")
        assert str(info.value).startswith("This code is mistyped")


def test_wave_service_messages_follow_the_page_language(app):
    from wellbeing.services import waves as wave_service

    for lang, expected in (("ru", "волна «nope» не найдена"), ("kk", "«nope» кезеңі табылмады"),
                           ("en", "wave 'nope': no such wave")):
        with app.test_request_context("/admin/", headers={"Cookie": f"wb_lang={lang}"}):
            with pytest.raises(wave_service.WaveError) as info:
                wave_service.get_wave("nope")
            assert str(info.value) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_in_kazakh_and_russian(app, small_wave, lang):  # noqa: F811 - the fixture
    """No page fails in a translated language (a msgstr with a broken placeholder would raise)."""
    from wellbeing.services.users import create_user

    from .test_gate import PASSWORD as GATE_PASSWORD
    from .test_gate import fill

    with app.app_context():
        create_user("ana", "analyst", GATE_PASSWORD)
    seen = 0
    for user in ("root", "ana"):
        client = app.test_client()
        client.set_cookie("wb_lang", lang)
        assert client.post("/auth/login", data={"name": user, "password": GATE_PASSWORD}).status_code in (302, 303)
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            for url in fill(rule, small_wave, ["cbi.work"]):
                resp = client.get(url)
                assert resp.status_code < 500, url
                if resp.status_code == 200 and resp.mimetype == "text/html":
                    seen += 1
                    assert f'<html lang="{lang}">' in resp.get_data(as_text=True), url
    assert seen > 15


def test_a_deployment_narrowed_to_two_languages_offers_and_serves_only_those(app_config) -> None:  # type: ignore[no-untyped-def]
    """Review of issue 24: ``LANGUAGES`` narrowed the slips' notes only; the survey still offered and
    served Kazakh."""
    from wellbeing import create_app

    app = create_app({**app_config, "LANGUAGES": ["ru", "en"], "DEFAULT_LANGUAGE": "kk"})
    c = app.test_client()
    page = c.get("/survey/", headers={"Accept-Language": "kk"})
    assert page.status_code == 200
    assert 'value="kk"' not in page.text and "Қазақша" not in page.text
    assert 'value="ru"' in page.text and 'value="en"' in page.text
    assert '<html lang="ru"' in page.text            # kk not offered: the default falls back to Russian
    c.set_cookie("wb_lang", "kk")
    assert '<html lang="ru"' in c.get("/survey/").text
    refused = c.post("/survey/language", data={"language": "kk"})
    assert refused.status_code in (302, 303, 400) and c.get_cookie("wb_lang").value != "kk"
