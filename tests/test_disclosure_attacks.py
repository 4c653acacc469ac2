"""Attacks that combine released numbers (issue 14), each on a small wave built through the services
the pages and commands use. Each test plays an attacker with ordinary staff access who keeps every
table, breakdown and model the platform released, and asks an independent LP (``tests/adversary.py``,
given the exact joint counts of group x language x context values) what it can prove about one officer
or one withheld cell. Each failed on the code before the joint auditor (recorded in docs/disclosure.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellbeing.core.instruments import score
from wellbeing.extensions import db
from wellbeing.services import results as svc
from wellbeing.services import waves as wave_service
from wellbeing.services.submissions import insert_response, wave_instruments

from .adversary import joint_cells, mean_range, set_differences, table_facts
from .helpers import open_wave

K = 5
JOINT = ["region", "department", "group", "shift_pattern", "language", "service_years"]
QUARTER = 25.0
BIG = "akm-d1-u1--all"      # roster 30
MID = "akm-d2-u1--all"      # roster 12
SMALL_A = "akm-d1-other--all"  # units u2 + u3 pooled, roster 11


def who5_answers(total: int) -> dict[str, float]:
    """Five WHO-5 answers (0-5) adding up to ``total`` (0-25): the score is 4 x total."""
    vals = [min(5, max(0, total - 5 * i)) for i in range(5)]
    return {f"i{i + 1}": float(v) for i, v in enumerate(vals)}


def build(app, people: list[dict], slug: str = "w1", instruments=("who5", "context")) -> None:  # type: ignore[no-untyped-def]
    """Open a wave, insert ``people`` (``group``, ``language``, ``who5`` raw 0-25, ``service_years``
    code or None) through the one insert path, close it without warming."""
    if not _exists(app, slug):
        open_wave(app, slug=slug, instruments=instruments)
    with app.app_context():
        wave = wave_service.get_wave(slug)
        insts = {i.id: i for i in wave_instruments(wave)}
        groups = {g.slug: g.id for g in wave.groups}
        with db.engine.begin() as conn:
            for p in people:
                answers = {"who5": who5_answers(p["who5"])}
                if "context" in insts:
                    answers["context"] = ({"service_years": float(p["service_years"])}
                                          if p.get("service_years") else {})
                scores = {iid: score(insts[iid], a) for iid, a in answers.items()}
                insert_response(conn, wave_id=wave.id, group_id=groups[p["group"]], language=p["language"],
                                answers=answers, scores=scores)
    with app.app_context():
        wave_service.close_wave(wave_service.get_wave(slug), warm=False)


def _exists(app, slug: str) -> bool:  # type: ignore[no-untyped-def]
    with app.app_context():
        try:
            wave_service.get_wave(slug)
            return True
        except Exception:  # noqa: BLE001
            return False


def people_frame(app, slug: str, by=("language", "service_years")) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Ground truth for the attacker's joint counts (and for checking): one row per WHO-5 score."""
    with app.app_context():
        wave = wave_service.get_wave(slug)
        info = next(s for s in svc.wave_scales(wave) if s.scale_id == "who5.wellbeing")
        rows = svc.score_rows(wave, info, [d for d in by if d != "language"])
    return rows.rename(columns={"value": "score"})


def released(app, slug: str, by: list[str]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    with app.app_context():
        wave = wave_service.get_wave(slug)
        table = svc.release_wave(wave, by=by, scales=["who5.wellbeing"])
    return table


def person(group: str, language: str, who5: int, service_years: int | None) -> dict:
    return {"group": group, "language": language, "who5": who5, "service_years": service_years}


def background(rng: np.random.Generator) -> list[dict]:
    """Other groups of the wave: enough respondents that region and wave totals are shown."""
    out = []
    for g, n in ((MID, 12), (SMALL_A, 7)):
        for i in range(n):
            out.append(person(g, "ru" if i % 3 else "kk", int(rng.integers(8, 20)), int(rng.integers(1, 5))))
    return out


# --------------------------------------------------------------------------------- two tables


def test_two_breakdown_tables_do_not_differ_by_one_officer(app):
    """A group of 17; the target is its only Russian-speaking officer with 3-9 years of service. The
    group's Russian cell (11) and its "< 3 years" cell (10) differ by the target alone."""
    rng = np.random.default_rng(14)
    crowd = [person(BIG, "ru", int(rng.integers(14, 22)), 1) for _ in range(10)]      # ru, < 3 years
    target = [person(BIG, "ru", 1, 2)]                                                 # WHO-5 = 4 points
    others = [person(BIG, "en", int(rng.integers(10, 22)), 3) for _ in range(6)]       # en, 10-19 years
    build(app, crowd + target + others + background(rng))
    tables = [released(app, "w1", ["group"]), released(app, "w1", ["group", "language"]),
              released(app, "w1", ["group", "service_years"])]
    people = people_frame(app, "w1")
    cells = joint_cells(people, JOINT)
    assert not set_differences(cells, tables, K)
    facts = table_facts(cells, tables, 0.5)
    t = ((cells["group"] == BIG) & (cells["language"] == "ru") & (cells["service_years"] == "2")).to_numpy()
    assert cells.loc[t, "n"].item() == 1
    low, high = mean_range(cells, facts, t, 0, 100)
    assert high - low >= QUARTER, (low, high)


# ------------------------------------------------------------------------------- three tables


def test_three_tables_in_one_program_do_not_narrow_a_withheld_group(app):
    """The standard table, the language breakdown and the service-years breakdown, each safe alone,
    solved together must not narrow the withheld group of 4 below a quarter of the scale."""
    rng = np.random.default_rng(3)
    people = []
    # the withheld group: 4 officers, 2 ru + 2 kk, service codes 1 and 3
    people += [person(SMALL_A, lang, s, sy) for lang, s, sy in
               (("ru", 12, 1), ("ru", 13, 3), ("kk", 12, 1), ("kk", 14, 3))]
    people += [person(BIG, "ru" if i % 2 else "kk", int(rng.integers(5, 24)), 1 + (i // 2) % 4) for i in range(20)]
    people += [person(MID, "ru" if i % 3 else "kk", int(rng.integers(5, 24)), 1 + i % 4) for i in range(12)]
    build(app, people)
    tables = [released(app, "w1", ["group"]), released(app, "w1", ["group", "language"]),
              released(app, "w1", ["group", "service_years"])]
    truth = people_frame(app, "w1")
    cells = joint_cells(truth, JOINT)
    std = tables[0]
    row = std[(std["group"] == SMALL_A) & (std["level"] == "region+department+group+shift_pattern")].iloc[0]
    assert row["suppressed"]
    facts = table_facts(cells, tables, 0.5)
    low, high = mean_range(cells, facts, (cells["group"] == SMALL_A).to_numpy(), 0, 100)
    assert high - low >= QUARTER, (low, high)
    assert not set_differences(cells, tables, K)


# ------------------------------------------------------------------------------------- models


def test_a_model_does_not_reveal_a_cell_the_tables_withhold(app):
    """30 Russian-language and 5 English-language responses whose WHO-5 answers are all 0: the
    language table withholds ``en`` (floor pin); a model with the language covariate would release
    ``Intercept`` = the Russian mean and ``language[en]`` = minus it, i.e. the English cell's 0."""
    from wellbeing.services.analysis import fit_platform

    rng = np.random.default_rng(5)
    people = [person(BIG, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(18)]
    people += [person(MID, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(12)]
    people += [person(BIG, "en", 0, 2) for _ in range(5)]
    build(app, people)
    lang = released(app, "w1", ["group", "language"])
    en = lang[(lang["level"] == "language") & (lang["language"] == "en")].iloc[0]
    assert en["suppressed"]
    with app.app_context():
        a = fit_platform(["w1"], "who5.wellbeing", "shift_pattern", ["language"])
    assert not a.released
    assert a.check.reason == "model_refused"
    assert "withheld cell" in a.check.problems[0]
    assert a.terms()["estimate"].isna().all()


def test_a_model_without_a_withheld_cell_is_released(app):
    """The same wave without the pinned English cell: the language model is released."""
    from wellbeing.services.analysis import fit_platform

    rng = np.random.default_rng(5)
    people = [person(BIG, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(18)]
    people += [person(MID, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(12)]
    people += [person(BIG, "en", int(rng.integers(8, 22)), 2) for _ in range(6)]
    build(app, people)
    with app.app_context():
        a = fit_platform(["w1"], "who5.wellbeing", "shift_pattern", ["language"])
    assert a.released, a.check.problems


def add_wave(app, slug: str, people: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """A second wave on the same units (units are imported once)."""
    from datetime import date

    with app.app_context():
        wave = wave_service.create_wave(slug, ["who5", "context"], opens=date(2027, 1, 1), closes=date(2027, 12, 31))
        wave_service.issue_codes(wave)
        wave_service.open_wave(wave)
    build(app, people, slug=slug)


def test_a_pooled_model_does_not_recover_a_cell_refused_in_one_wave(app):
    """Wave 2 has 4 English-language responses: a one-wave model with the language covariate is refused
    (a level below K), and the wave-2 language table withholds them. A two-wave model (wave and language
    covariates) plus wave 1's released English cell would recover wave 2's English mean."""
    from wellbeing.services.analysis import fit_platform

    rng = np.random.default_rng(8)
    w1 = [person(BIG, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(16)]
    w1 += [person(MID, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(12)]
    w1 += [person(BIG, "en", int(rng.integers(14, 18)), 3) for _ in range(6)]
    build(app, w1, slug="w1")
    w2 = [person(BIG, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(16)]
    w2 += [person(MID, "ru", int(rng.integers(8, 22)), 1 + i % 4) for i in range(12)]
    w2 += [person(BIG, "en", 11, 3) for _ in range(4)]  # 44 points
    add_wave(app, "w2", w2)
    with app.app_context():
        one = fit_platform(["w2"], "who5.wellbeing", "shift_pattern", ["language"])
    assert not one.released  # rule 12: en has 4 respondents
    lang2 = released(app, "w2", ["group", "language"])
    assert lang2[(lang2["level"] == "language") & (lang2["language"] == "en")].iloc[0]["suppressed"]
    with app.app_context():
        pooled = fit_platform(["w1", "w2"], "who5.wellbeing", "shift_pattern", ["wave", "language"])
    assert not pooled.released
    assert pooled.check.reason == "model_refused" and "withheld cell" in pooled.check.problems[0]


def test_a_mixed_model_and_the_margins_do_not_solve_a_withheld_group(app):
    """A group of 3 is withheld (and its neighbour with it). The random-intercept model's intercept is a
    weighted mean of the pools with weights n/(sigma^2 + n tau^2), not the department's weights: with the
    department total it gives a second equation and solves both withheld groups."""
    from wellbeing.services.analysis import fit_platform

    rng = np.random.default_rng(2)
    people = [person(SMALL_A, "ru", 3, 1) for _ in range(3)]                                  # 12 points
    people += [person(BIG, "ru", int(rng.integers(17, 24)), 1 + i % 4) for i in range(15)]
    people += [person(MID, "ru", int(rng.integers(9, 16)), 1 + i % 4) for i in range(12)]
    build(app, people)
    std = released(app, "w1", ["group"])
    assert std[std["group"] == SMALL_A].iloc[0]["suppressed"]
    with app.app_context():
        a = fit_platform(["w1"], "who5.wellbeing", "shift_pattern", [])
    assert a.main.info["method"].startswith("mixedlm")
    if a.released:  # then no combination of it with the tables may narrow the withheld group
        truth = people_frame(app, "w1")
        cells = joint_cells(truth, JOINT)
        facts = table_facts(cells, [std], 0.5)
        est = float(a.terms().set_index("term").loc["Intercept", "estimate"])
        fit = a.main.fit
        tau2, sigma2 = float(np.asarray(fit.cov_re)[0, 0]), float(fit.scale)
        pools = truth.assign(pool=truth["group"]).groupby("group").size()
        w = {g: n / (sigma2 + n * tau2) for g, n in pools.items()}   # GLS weight of a pool mean
        coef = np.array([w[g] / n_g / sum(w.values()) for g, n_g in zip(cells["group"], cells["group"].map(pools))])
        facts.append((coef, est - 5e-4, est + 5e-4))
        low, high = mean_range(cells, facts, (cells["group"] == SMALL_A).to_numpy(), 0, 100)
        assert high - low >= QUARTER, (low, high)
    else:
        assert a.check.reason == "model_refused"


# ------------------------------------------------------------------------------ usefulness floor


def test_the_demo_standard_table_releases_as_many_group_cells_as_alone(demo_app):
    """Suppressing everything is not a fix: on the demo, each closed wave's standard table releases at
    least as many group cells as the standard table audited alone (the algorithm before issue 14)."""
    from wellbeing.core.disclosure import release_table
    from wellbeing.core.summaries import cell_statistics
    from wellbeing.models import WaveStatus

    with demo_app.app_context():
        waves = [w for w in wave_service.list_waves() if w.status == WaveStatus.closed]
        assert waves
        for wave in waves:
            for info in svc.wave_scales(wave)[:2]:
                table = svc.release_scale(wave, info)
                groups = table[table["level"] == "region+department+group+shift_pattern"]
                rows = svc.score_rows(wave, info)
                cells = cell_statistics(rows, list(svc.STANDARD_DIMS))
                alone = release_table(cells[[*svc.STANDARD_DIMS, "n", "sum", "n_high"]], svc.STANDARD_DIMS,
                                      info.spec, [list(m) for m in svc.STANDARD_MARGINS], wave.min_cell)
                alone_groups = alone[alone["level"] == "region+department+group+shift_pattern"]
                assert (~groups["suppressed"]).sum() >= (~alone_groups["suppressed"]).sum() > 0
