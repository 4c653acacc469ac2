"""The feedback page's size says nothing about the scores, bands or language (issue 15).

An observer of traffic sizes saw the WHO-5 band in the unpadded page (1,623 / 1,708 / 1,740 bytes).
"""

from __future__ import annotations

from flask import g

from wellbeing.core.instruments import ScaleScore
from wellbeing.services.submissions import Feedback

from .helpers import first_values, open_wave

LANGS = ("kk", "ru", "en")


def _score(scale, value):  # type: ignore[no-untyped-def]
    band = scale.band_for(value)
    return ScaleScore(scale.id, value, band.id if band else None, bool(band and band.concern), len(scale.items))


def test_every_band_of_every_scale_in_every_language_has_one_byte_length(app):
    from wellbeing.services.catalogue import get_catalogue
    from wellbeing.survey.views import feedback_page

    sizes: dict[tuple[str, str, str], int] = {}
    with app.test_request_context("/survey/page/2", method="POST"):
        insts = [i for i in get_catalogue().values() if i.scales]
        base = {i.id: {s.id: _score(s, s.range[0]) for s in i.scales} for i in insts}
        assert sum(len(s.bands) for i in insts for s in i.scales) >= 10  # the shipped catalogue has bands
        for lang in LANGS:
            g.survey_lang = lang
            for inst in insts:
                for scale in inst.scales:
                    values = [b.at for b in scale.bands] + [scale.range[0], scale.range[1], None]
                    for v in values:
                        scores = {i.id: dict(base[i.id]) for i in insts}
                        scores[inst.id][scale.id] = None if v is None else _score(scale, v)
                        page = feedback_page(Feedback(lang, [(i, scores[i.id]) for i in insts]))
                        sizes[(lang, scale.id, str(v))] = len(page.encode("utf-8"))
    assert len(set(sizes.values())) == 1, sorted(set(sizes.values()))
    assert set(sizes.values()) == {app.config["FEEDBACK_PAGE_BYTES"]}
    assert len(sizes) > 3 * 10


def _submit(app, code: str, lang: str, pick) -> tuple[int, bytes, dict[str, str]]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    r = client.post("/survey/", data={"code": code, "language": lang})
    url = r.headers["Location"]
    while True:
        html = client.get(url).get_data(as_text=True)
        r = client.post(url, data=pick(html), headers={"Accept-Encoding": "gzip, br"})
        if r.status_code != 303:
            return r.status_code, r.get_data(), dict(r.headers)
        url = r.headers["Location"]


def _last_values(html: str) -> dict[str, str]:
    import re

    out: dict[str, str] = {}
    for m in re.finditer(r'<input[^>]*type="radio"[^>]*>', html):
        tag = m.group(0)
        out[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
    return out


def test_web_feedback_pages_are_one_size_and_uncompressed(app):
    """Opposite answers (highest vs lowest bands) in every language: one Content-Length, no encoding."""
    codes = open_wave(app)["akm-d1-u1--all"]
    seen = set()
    for i, (lang, pick) in enumerate([(lang, pick) for lang in LANGS for pick in (first_values, _last_values)]):
        status, body, headers = _submit(app, codes[i], lang, pick)
        assert status == 200
        assert "Content-Encoding" not in headers
        assert "no-transform" in headers["Cache-Control"]
        assert int(headers["Content-Length"]) == len(body)
        seen.add(len(body))
    assert seen == {app.config["FEEDBACK_PAGE_BYTES"]}
