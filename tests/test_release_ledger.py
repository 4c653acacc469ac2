"""The release ledger (issue 14): one computation per release, read back by every page; malformed
breakdowns refused with 400; a pending release answered with "being computed", never recomputed."""

from __future__ import annotations

import threading
from datetime import UTC

import pandas as pd
import pytest
from sqlalchemy import func, select

from wellbeing.extensions import db
from wellbeing.models import ReleaseEntry, ReleaseStatus
from wellbeing.services import ledger
from wellbeing.services import results as svc
from wellbeing.services import waves as wave_service
from wellbeing.services.users import create_user

from .helpers import fill_wave, open_wave

PASSWORD = "correct-horse-1"


@pytest.fixture
def wave(app):  # type: ignore[no-untyped-def]
    open_wave(app, instruments=("who5", "context"))
    fill_wave(app, "w1", {"akm-d1-u1--all": 20, "akm-d2-u1--all": 12, "akm-d1-other--all": 6}, seed=4)
    with app.app_context():
        wave_service.close_wave(wave_service.get_wave("w1"), warm=False)
        create_user("psy", "psychologist", PASSWORD)
    return "w1"


def client_for(app):  # type: ignore[no-untyped-def]
    c = app.test_client()
    assert c.post("/auth/login", data={"name": "psy", "password": PASSWORD}).status_code in (302, 303)
    return c


@pytest.mark.parametrize("by", ["language,language", "group,group", "nonsense", "group,language,service_years"])
def test_malformed_breakdowns_are_refused_with_400(app, wave, by):
    r = client_for(app).get(f"/results/{wave}?by={by}")
    assert r.status_code == 400, r.status_code


def test_a_second_identical_request_is_served_from_the_ledger(app, wave, monkeypatch):
    calls = []
    real = svc.compute_publication

    def counting(*a, **kw):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(svc, "compute_publication", counting)
    c = client_for(app)
    first = c.get(f"/results/{wave}.csv?by=group,language")
    assert first.status_code == 200
    n = len(calls)
    assert n >= 1
    second = c.get(f"/results/{wave}.csv?by=group,language")
    assert second.data == first.data and len(calls) == n
    with app.app_context():
        rows = ledger.entries(wave_service.get_wave(wave))
    tables = [r for r in rows if r.kind == "table" and '"language"' in r.params]
    assert tables and all(r.status == ReleaseStatus.released and r.created_by == "web:psy" for r in tables)
    assert all(len(r.content_hash) == 64 and r.algorithm_version for r in tables)


def test_concurrent_identical_requests_compute_once(app, wave, monkeypatch):
    calls = []
    real = svc.compute_publication
    gate = threading.Event()

    def slow(*a, **kw):  # type: ignore[no-untyped-def]
        calls.append(1)
        gate.wait(5)
        return real(*a, **kw)

    monkeypatch.setattr(svc, "compute_publication", slow)
    out = {}

    def ask(name):  # type: ignore[no-untyped-def]
        with app.app_context():
            w = wave_service.get_wave(wave)
            info = next(s for s in svc.wave_scales(w) if s.scale_id == "who5.wellbeing")
            out[name] = svc.release_scale(w, info, ["group", "language"])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    threading.Timer(1.0, gate.set).start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1
    assert out[0].equals(out[1])
    with app.app_context():
        n = db.session.execute(select(func.count()).select_from(ReleaseEntry)
                               .where(ReleaseEntry.kind == "table")).scalar_one()
    assert n == 1


def test_a_pending_release_makes_the_page_say_so(app, wave, monkeypatch):
    """Another worker holds the key: the page answers 503 'being computed' and starts no computation."""
    monkeypatch.setattr(svc, "WEB_WAIT_SECONDS", 0.3)
    with app.app_context():
        w = wave_service.get_wave(wave)
        info = next(s for s in svc.wave_scales(w) if s.scale_id == "who5.wellbeing")
        params = {"scale": info.scale_id, "instrument": info.instrument.content_hash, "by": []}
        key = ledger._key("table", w, params, ledger.data_state(w))  # noqa: SLF001 - play the other worker
        from datetime import datetime

        now = datetime.now(UTC).replace(tzinfo=None)  # a fresh claim (an old one is taken over)
        db.session.add(ReleaseEntry(key=key, kind="table", wave_id=w.id, params="{}", algorithm_version="x",
                                    data_state="x", status=ReleaseStatus.pending, created_at=now))
        db.session.commit()
    monkeypatch.setattr(svc, "compute_publication", lambda *a, **k: pytest.fail("computed twice"))
    r = client_for(app).get(f"/results/{wave}?by=group&scale=who5.wellbeing")
    assert r.status_code == 503 and "being computed" in r.get_data(as_text=True)


def test_band_distribution_is_released_once_and_read_back(app, wave, monkeypatch):
    """The warm page used to re-read every score for the band distribution on each view."""
    reads = []
    real = svc.score_rows

    def counting(*a, **kw):  # type: ignore[no-untyped-def]
        reads.append(1)
        return real(*a, **kw)

    with app.app_context():
        w = wave_service.get_wave(wave)
        info = next(s for s in svc.wave_scales(w) if s.scale_id == "who5.wellbeing")
        monkeypatch.setattr(svc, "score_rows", counting)
        first = svc.band_distribution(w, info)
        n = len(reads)
        second = svc.band_distribution(w, info)
    assert n == 1 and len(reads) == 1
    assert first == second and {b["band"] for b in first} == {b.id for b in info.scale.bands}
    shown = [b for b in first if not b["suppressed"]]
    assert all(b["n"] >= 5 for b in shown)
    assert sum(b["n"] for b in shown) <= 38


def test_reporting_rules_state_what_the_auditor_assumes(client):
    text = client.get("/reporting-rules").get_data(as_text=True)
    assert "What the checks assume an attacker knows" in text
    assert "exactly how many people are in every combination of reporting group, language" in text
    assert "less than a quarter of its scale" in text


def test_warm_releases_every_breakdown_from_one_publication_per_scale(app, wave, monkeypatch):
    """`flask cache warm` used to ask for each breakdown's prefix in turn, computing the first breakdown
    once per menu entry; now one publication per scale releases every breakdown, and each released table
    is the one a page computing only its prefix gets."""
    calls = []
    real = svc.compute_publication

    def counting(*a, **kw):  # type: ignore[no-untyped-def]
        calls.append(list(a[2]))
        return real(*a, **kw)

    with app.app_context():
        w = wave_service.get_wave(wave)
        scales, menu = svc.wave_scales(w), svc.breakdown_menu(w)
        assert len(menu) >= 3
        svc.warm(w)
        monkeypatch.setattr(svc, "compute_publication", counting)
        svc.warm(w, breakdowns=True)
        assert calls == [menu] * len(scales)
        monkeypatch.setattr(svc, "compute_publication", real)
        for info in scales:
            for d in menu:
                pd.testing.assert_frame_equal(svc.release_scale(w, info, [d]),
                                              svc._release_scale(w, info, [d]))  # the prefix, computed afresh
