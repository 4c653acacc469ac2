"""The officer's pages after issue 21: an honest page after sending (a browser-side flag only), help
first only when a band is concerning, answers kept across a language change, "about N minutes"."""

from __future__ import annotations

import re

from wellbeing.core.instruments import Instrument
from wellbeing.extensions import db
from wellbeing.models import Progress
from wellbeing.services.submissions import estimated_minutes, wave_instruments
from wellbeing.services.waves import get_wave

from .helpers import first_values, open_wave
from .test_survey import run_survey


def _calm(app):  # type: ignore[no-untyped-def]
    """Answers with no concerning band: little burnout (CBI), good well-being (WHO-5)."""
    with app.app_context():
        insts = {i.id: i for i in wave_instruments(get_wave("w1"))}

    def choose(html: str) -> dict[str, str]:
        values = first_values(html)
        inst: Instrument = insts["who5"] if "i1" in values else insts["cbi"]
        out = {}
        for it in inst.items:
            opts = inst.response_sets[it.response_set].values
            best = max(opts) if (inst.id == "who5") == (not it.reverse) else min(opts)
            out[it.id] = str(int(best))
        return out

    return choose


def _help_before_scores(html: str) -> bool:
    return html.index('id="help"') < html.index('class="score')


def test_help_comes_first_only_when_a_band_is_concerning(app, client):
    codes = open_wave(app)["akm-d1-u1--all"]
    worried = run_survey(client, codes[0])[-1].get_data(as_text=True)   # first options: "always" tired
    assert 'class="score concern"' in worried and _help_before_scores(worried)
    calm = run_survey(app.test_client(), codes[1], choose=_calm(app))[-1].get_data(as_text=True)
    assert "concern" not in calm and not _help_before_scores(calm)
    # The help section is the same text wherever it stands (the page size does not depend on it).
    block = re.compile(r'<section class="card help" id="help">.*?</section>', re.S)
    assert block.search(worried).group(0) == block.search(calm).group(0)  # type: ignore[union-attr]


def test_back_after_sending_says_received_from_a_browser_flag_only(app, client):
    codes = open_wave(app)["akm-d1-u1--all"]
    final = run_survey(client, codes[0])[-1]
    assert final.status_code == 200
    cookie = client.get_cookie("wb_sent", path="/survey")
    assert cookie is not None and cookie.value == "1"        # the flag holds nothing else
    back = client.get("/survey/page/2")                       # Back: the last page, its progress gone
    assert back.status_code == 200 and "Your answers were received" in back.get_data(as_text=True)
    assert "not been used" not in back.get_data(as_text=True)
    # Nothing on the server says so: another browser (no flag) is asked for its code, as before.
    other = app.test_client()
    r = other.get("/survey/page/2")
    assert r.status_code == 410 and "enter your code again" in r.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Progress)).scalar_one() == 0
    # Entering the next code clears the flag.
    r = client.post("/survey/", data={"code": codes[1], "language": "en"})
    assert r.status_code == 303 and client.get_cookie("wb_sent", path="/survey") is None
    assert client.get("/survey/page/1").status_code == 200


def test_language_change_keeps_the_answers_ticked_on_the_page(app, client):
    code = open_wave(app)["akm-d1-u1--all"][0]
    r = client.post("/survey/", data={"code": code, "language": "en"})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'formaction="/survey/language"' in html and 'form="answers"' in html
    items = list(first_values(html).items())
    first, bad = dict(items[:2]), items[2][0]
    r = client.post("/survey/language", data={**first, bad: "999", "language": "ru", "page": "1"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/survey/page/1")
    page = client.get("/survey/page/1").get_data(as_text=True)
    assert '<html lang="ru">' in page
    checked = set(re.findall(r'<input checked id="[^"]+" name="([^"]+)"', page))
    assert checked == set(first)                               # kept; the bad value 999 was dropped
    # The page is still validated when it is sent: the rest must be answered.
    assert client.post("/survey/page/1", data=first).status_code == 400


def test_start_page_says_about_how_many_minutes(app, client):
    open_wave(app)                                             # CBI 19 + WHO-5 5 items
    with app.app_context():
        assert estimated_minutes(wave_instruments(get_wave("w1"))) == 4   # 24 items × 10 s
    assert "It takes about 4 minutes." in client.get("/survey/").get_data(as_text=True)
    client.set_cookie("wb_lang", "ru")
    assert "примерно 4 минуты" in client.get("/survey/").get_data(as_text=True)


JARGON = ("convention", "договорённост", "келісім", "CBI", "WHO-5", "KSS", "PUMA", "cut-off", "subscale")


def test_band_meanings_shown_to_officers_carry_no_jargon(app):
    """The feedback page shows each band's meaning: no provenance notes or instrument acronyms there
    (their sources stay in the instrument files' comments and docs/instruments-sources.md)."""
    from wellbeing.services.catalogue import get_catalogue

    with app.app_context():
        found = [(inst.id, scale.id, lang, word)
                 for inst in get_catalogue().values() for scale in inst.scales for band in scale.bands
                 for lang, text in (band.meaning or {}).items() for word in JARGON if word in text]
    assert found == []
