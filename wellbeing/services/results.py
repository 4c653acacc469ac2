"""Released cohort results of a wave: every number passes disclosure control here.

One released table per wave and scale covers the standard hierarchy (reporting group → department →
region → whole wave) and the shift-pattern margins, so every page, CSV, JSON and PDF view of a wave is
a projection of the same table (DESIGN.md section 4, rules 7–11). A breakdown by another dimension
(language, a context item) is released as its own table whose finest cells are group × value and
which keeps the standard margins, so that its suppression pattern protects against subtraction from
the standard table's margins.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask import has_request_context
from sqlalchemy import select

from ..core.csv_cells import frame_csv, plain_records
from ..core.disclosure import ScaleSpec
from ..core.disclosure.joint import (
    ALGORITHM_VERSION,
    ReleaseFacts,
    TableSpec,
    facts_from_tables,
    release_publication,
)
from ..core.instruments import Instrument, Scale
from ..core.summaries import add_intervals, cell_statistics
from ..extensions import db
from ..models import Answer, Response, Score, Wave, WaveStatus
from . import ledger
from .catalogue import instrument_from_snapshot

log = logging.getLogger(__name__)

HIERARCHY = ("region", "department", "group")
STANDARD_DIMS = ("region", "department", "group", "shift_pattern")
STANDARD_MARGINS: tuple[tuple[str, ...], ...] = (
    ("region", "department"), ("region",), ("shift_pattern",), ("region", "shift_pattern"), ())
DIMENSIONS = ("group", "department", "region", "shift_pattern", "language")


class ResultsError(ValueError):
    """A results request was refused (unknown dimension, scale or wave)."""


@dataclass(frozen=True)
class ScaleInfo:
    scale_id: str          # "<instrument>.<scale>"
    instrument: Instrument
    scale: Scale

    @property
    def spec(self) -> ScaleSpec:
        """Range, precision and — for scales whose concern band is the top of the range (CBI ≥ 50) —
        the band's lower bound, so the auditor links means and shares in one program."""
        concern = [b.at for b in self.scale.bands if b.concern]
        high_from = min(concern) if concern and self.scale.bounds == "lower" else None
        return ScaleSpec(self.scale.range[0], self.scale.range[1], self.scale.precision, high_from=high_from)


def wave_scales(wave: Wave) -> list[ScaleInfo]:
    """Scales of the wave's instrument snapshots, in questionnaire order."""
    out = []
    for wi in wave.instruments:
        inst = instrument_from_snapshot(wi.snapshot)
        out.extend(ScaleInfo(f"{inst.id}.{sc.id}", inst, sc) for sc in inst.scales)
    return out


def context_instruments(wave: Wave) -> list[Instrument]:
    """The wave's context instruments (questionnaire order)."""
    out = []
    for wi in wave.instruments:
        inst = instrument_from_snapshot(wi.snapshot)
        if inst.kind == "context":
            out.append(inst)
    return out


def context_dimensions(wave: Wave) -> list[str]:
    """Context items of the wave usable as breakdown dimensions (``<instrument>.<item>`` and bare item id)."""
    dims = []
    for wi in wave.instruments:
        inst = instrument_from_snapshot(wi.snapshot)
        if inst.kind == "context":
            dims.extend(it.id for it in inst.items)
    return dims


def _groups_frame(wave: Wave) -> pd.DataFrame:
    rows = [{"group_id": g.id, "group": g.slug, "region": g.region_slug or "-",
             # import-only groups have no unit hierarchy: region and department are "-"
             "department": g.department_slug or (f"{g.region_slug}-pooled" if g.region_slug else "-"),
             "shift_pattern": g.shift_pattern,
             "roster": g.size} for g in wave.groups]
    return pd.DataFrame(rows, columns=["group_id", "group", "region", "department", "shift_pattern", "roster"])


def score_rows(wave: Wave, scale: ScaleInfo, by: Sequence[str] = ()) -> pd.DataFrame:
    """Scores of one scale with their group attributes and any breakdown columns (internal: never shown).

    Columns: ``region, department, group, shift_pattern, language, value, concern`` plus ``by`` columns.
    Rows are in random order (they come keyed by random ids).
    """
    q = (select(Response.id, Response.group_id, Response.language, Score.value)
         .join(Score, Score.response_id == Response.id)
         .where(Response.wave_id == wave.id, Score.scale_id == scale.scale_id))
    df = _frame(db.session.execute(q).all(), ["response_id", "group_id", "language", "value"])
    df["value"] = df["value"].astype(float)
    df = df.merge(_groups_frame(wave), on="group_id", how="left")
    context = [d for d in by if d not in DIMENSIONS]
    if context:
        aq = (select(Answer.response_id, Answer.item_id, Answer.value)
              .join(Response, Response.id == Answer.response_id)
              .where(Response.wave_id == wave.id, Answer.item_id.in_(context)))
        ans = _frame(db.session.execute(aq).all(), ["response_id", "item_id", "value"])
        wide = ans.pivot(index="response_id", columns="item_id", values="value") if len(ans) else pd.DataFrame()
        for c in context:
            col = df["response_id"].map(wide[c]) if c in wide else pd.Series(np.nan, index=df.index)
            values = pd.to_numeric(col, errors="coerce")
            text = values.fillna(0).astype(int).astype(str)
            df[c] = text.where(values.notna(), "missing")
    concern = {v: bool((b := scale.scale.band_for(v)) and b.concern) for v in df["value"].unique()}
    df["concern"] = df["value"].map(concern).astype(bool)
    return df.drop(columns=["response_id", "group_id"])


def _frame(rows: Sequence[tuple], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from result tuples, built column by column (from Row objects it was most of the cost)."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


_LOCK = threading.Lock()


def _who() -> str:
    """The staff user whose request computes a release (shown in the ledger), else ``system``."""
    if has_request_context():
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False):
            return f"web:{current_user.name}"
    return "system"


#: Seconds a page waits for a release another request is computing before it says "being computed".
WEB_WAIT_SECONDS = 10.0


def _wait() -> float:
    return WEB_WAIT_SECONDS if has_request_context() else 3600.0


def _cache_key(kind: str, wave: Wave, *parts: object) -> tuple:
    """In-process key of a wave's publication facts: the database, the algorithm and the data state."""
    return (kind, str(db.engine.url), ALGORITHM_VERSION, ledger.data_state(wave), *parts)


def warm(wave: Wave, *, breakdowns: bool = False) -> None:
    """Compute a closed wave's standard tables and reliability into the release ledger (at close);
    with ``breakdowns`` also every table of the wave's breakdown menu (the whole publication; slow on
    a large wave, so ``flask cache warm`` runs it outside any request)."""
    if wave.status != WaveStatus.closed:
        return
    for info in wave_scales(wave):
        release_scale(wave, info)
    wave_reliability(wave)
    if breakdowns:
        menu = breakdown_menu(wave)
        for info in wave_scales(wave):
            # One publication per scale for every breakdown (each table equals its prefix's, see
            # _release_scale), computed only if some breakdown is not in the ledger yet: asking for each
            # prefix in turn computed the first breakdown len(menu) times.
            whole = functools.cache(functools.partial(compute_publication, wave, info, menu))

            def compute(d: str, info: ScaleInfo = info, whole: Callable[[], Publication] = whole) -> pd.DataFrame:
                return _finish(whole().tables[d], info, whole().pooled_sd)

            for d in menu:
                ledger.released("table", wave, _table_params(info, [d]), lambda d=d: compute(d),
                                created_by=_who(), wait=_wait())


def release_scale(wave: Wave, scale: ScaleInfo, by: Sequence[str] = ()) -> pd.DataFrame:
    """The released table of one scale, from the release ledger (computed once; see :func:`_release_scale`)."""
    extra = tuple(check_breakdown(wave, by))  # standard views share one table
    return ledger.released("table", wave, _table_params(scale, extra), lambda: _release_scale(wave, scale, extra),
                           created_by=_who(), wait=_wait())


def _table_params(scale: ScaleInfo, extra: Sequence[str]) -> dict:
    """The ledger parameters of one released table (the standard one when ``extra`` is empty)."""
    return {"scale": scale.scale_id, "instrument": scale.instrument.content_hash, "by": list(extra)}


def breakdown_menu(wave: Wave) -> list[str]:
    """The wave's declared breakdowns, in publication order: language, then each context item.

    They are released as one publication with the standard table (see
    :func:`wellbeing.core.disclosure.joint.release_publication`), so what is hidden never depends on
    which breakdown someone asked for first."""
    return ["language", *[d for d in context_dimensions(wave) if d not in DIMENSIONS]]


def check_breakdown(wave: Wave, by: Sequence[str]) -> list[str]:
    """The breakdown dimensions of ``by`` beyond the standard ones (at most one, from the menu).

    Raises
    ------
    ResultsError
        On a repeated dimension (``?by=language,language``), an unknown one, or more than one
        breakdown at once (the publication releases each breakdown crossed with the standard
        hierarchy only).
    """
    seen: set[str] = set()
    for d in by:
        if d in seen:
            raise ResultsError(f"--by: {d!r} is given twice")
        seen.add(d)
    menu = breakdown_menu(wave)
    extra = [d for d in by if d not in STANDARD_DIMS]
    unknown = [d for d in extra if d not in menu]
    if unknown:
        raise ResultsError(f"--by: unknown dimension {unknown[0]!r}; choose from "
                           f"{', '.join([*STANDARD_DIMS, *menu])}")
    if len(extra) > 1:
        raise ResultsError(f"--by: one breakdown at a time ({', '.join(extra)} given)")
    return extra


def publication_tables(menu: Sequence[str]) -> list[TableSpec]:
    """The standard table and one table per breakdown of ``menu`` (group x value, standard margins)."""
    std = TableSpec("standard", STANDARD_DIMS, STANDARD_MARGINS)
    out = [std]
    for d in menu:
        margins = [STANDARD_DIMS, *STANDARD_MARGINS, (d,), ("region", d), ("shift_pattern", d)]
        out.append(TableSpec(d, (*STANDARD_DIMS, d), tuple(tuple(m) for m in margins)))
    return out


@dataclass
class Publication:
    """A wave's publication for one scale: the released tables (by name), what an attacker knows
    afterwards (``facts``, over the joint cells) and the joint cells' keys (``cells``: standard
    dimensions and menu columns, one row per variable of ``facts``; internal, never shown)."""

    tables: dict[str, pd.DataFrame]
    facts: ReleaseFacts
    cells: pd.DataFrame
    menu: list[str]
    pooled_sd: float | None


def compute_publication(wave: Wave, scale: ScaleInfo, menu: Sequence[str]) -> Publication:
    """Suppress and audit the standard table and the breakdowns of ``menu`` jointly (uncached)."""
    menu = list(menu)
    dims = list(STANDARD_DIMS)
    rows = score_rows(wave, scale, menu)
    std_cells = cell_statistics(rows, dims) if len(rows) else pd.DataFrame(
        columns=[*dims, "n", "sum", "sumsq", "n_high"])
    joint = cell_statistics(rows, [*dims, *menu]) if len(rows) else pd.DataFrame(
        columns=[*dims, *menu, "n", "sum", "sumsq", "n_high"])
    # Groups without any response are cells too (n = 0): they belong to the margins' sums.
    groups = _groups_frame(wave)
    if len(groups):
        std_cells = groups[dims].merge(std_cells, on=dims, how="left").fillna(
            {"n": 0, "sum": 0.0, "sumsq": 0.0, "n_high": 0})
        empty = groups[dims].merge(joint[dims].drop_duplicates(), on=dims, how="left", indicator=True)
        empty = empty[empty["_merge"] == "left_only"].drop(columns="_merge")
        if len(empty):
            empty = empty.assign(**{d: "-" for d in menu}, n=0, sum=0.0, sumsq=0.0, n_high=0)
            joint = pd.concat([joint, empty], ignore_index=True)
    for c in (std_cells, joint):
        c["n"] = c["n"].astype(int)
        c["n_high"] = c["n_high"].astype(int)
    keys = joint[[*dims, *menu]].reset_index(drop=True)
    old = ledger.superseded_tables(wave, scale.scale_id, ledger.data_state(wave))
    prior = facts_from_tables(keys, joint["n"].to_numpy(), old, scale.spec) if old else None
    tables, facts = release_publication(
        joint[[*dims, *menu, "n", "sum", "n_high"]], publication_tables(menu), scale.spec, wave.min_cell,
        wave_open=wave.status != WaveStatus.closed, standard_cells=std_cells[[*dims, "n", "sum", "n_high"]],
        prior=prior)
    pooled_sd = float(rows["value"].std()) if len(rows) >= 2 else None
    return Publication(tables, facts, joint[[*dims, *menu]].reset_index(drop=True), menu, pooled_sd)


_PUBLICATIONS: OrderedDict[tuple, Publication] = OrderedDict()


def publication(wave: Wave, scale: ScaleInfo) -> Publication:
    """The wave's whole publication of ``scale`` (standard table and every menu breakdown), computed
    once per process and key (the models' auditor reads its facts)."""
    key = _cache_key("publication", wave, scale.scale_id, scale.instrument.content_hash)
    with _LOCK:
        if key in _PUBLICATIONS:
            return _PUBLICATIONS[key]
    pub = compute_publication(wave, scale, breakdown_menu(wave))
    with _LOCK:
        _PUBLICATIONS[key] = pub
        while len(_PUBLICATIONS) > 16:
            _PUBLICATIONS.popitem(last=False)
    return pub


def released_facts(wave: Wave, scale: ScaleInfo) -> Publication:
    """What an attacker holds about ``scale`` in ``wave``: the facts of every table the ledger has
    released (or superseded) for it, over the joint cells of the wave's whole menu. No suppression
    runs here (``tables`` is empty): the models' auditor adds a model's estimates to these facts."""
    menu = breakdown_menu(wave)
    dims = list(STANDARD_DIMS)
    rows = score_rows(wave, scale, menu)
    joint = cell_statistics(rows, [*dims, *menu]) if len(rows) else pd.DataFrame(
        columns=[*dims, *menu, "n", "sum", "sumsq", "n_high"])
    keys = joint[[*dims, *menu]].reset_index(drop=True)
    facts = facts_from_tables(keys, joint["n"].to_numpy(dtype=int), ledger.tables(wave, scale.scale_id),
                              scale.spec)
    return Publication({}, facts, keys, menu, None)


def _release_scale(wave: Wave, scale: ScaleInfo, by: Sequence[str] = ()) -> pd.DataFrame:
    """The released table of one scale: standard hierarchy and shift-pattern margins, or one breakdown
    of the wave's publication.

    Returns the columns of :func:`wellbeing.core.disclosure.release_table` (``level``, dimension
    columns, ``n``, ``mean``, ``share_high``, ``suppressed``, ``reason``, ``share_reason``) plus
    ``scale``, ``ci_low``, ``ci_high``, ``share_ci_low``, ``share_ci_high``.
    """
    extra = check_breakdown(wave, by)
    menu = breakdown_menu(wave)
    # A table depends on the tables before it in the menu only, so a prefix is enough.
    menu = menu[:menu.index(extra[0]) + 1] if extra else []
    pub = compute_publication(wave, scale, menu)
    return _finish(pub.tables[extra[0] if extra else "standard"], scale, pub.pooled_sd)


def _finish(released: pd.DataFrame, scale: ScaleInfo, pooled_sd: float | None) -> pd.DataFrame:
    """A publication's table as released: confidence intervals added, the scale's id in front."""
    released = add_intervals(released, scale.scale.precision, pooled_sd)
    released.insert(0, "scale", scale.scale_id)
    return released


def release_wave(wave: Wave, by: Sequence[str] = (), scales: Sequence[str] | None = None) -> pd.DataFrame:
    """Released tables of every scale of the wave (or of ``scales``), stacked."""
    infos = wave_scales(wave)
    if scales:
        unknown = set(scales) - {s.scale_id for s in infos}
        if unknown:
            raise ResultsError(f"unknown scale(s): {', '.join(sorted(unknown))}")
        infos = [s for s in infos if s.scale_id in scales]
    if not infos:
        raise ResultsError(f"wave {wave.slug!r} has no scored scale")
    return pd.concat([release_scale(wave, s, by) for s in infos], ignore_index=True)


def view(released: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Rows of a released table for one breakdown: the cells at the level of ``by`` (e.g. ``["group"]``
    → the group rows; ``["region"]`` → region totals; ``[]`` → the whole wave). No new numbers."""
    keep = set(by)
    if "group" in keep:
        keep |= {"region", "department"}
    if "department" in keep:
        keep |= {"region"}
    dims = [c for c in released.columns if c in (*STANDARD_DIMS,) or c not in _NON_DIM]
    mask = pd.Series(True, index=released.index)
    for d in dims:
        if d in keep:
            mask &= released[d] != "*"
        elif d != "shift_pattern" or "group" not in keep:
            mask &= released[d] == "*"
    return released[mask]


_NON_DIM = {"scale", "level", "n", "mean", "share_high", "suppressed", "reason", "share_reason", "ci_low",
            "ci_high", "share_ci_low", "share_ci_high"}


# ------------------------------------------------------------------------------------ reliability

MIN_RELIABILITY_N = 30  # α and ω are shown per language only from 30 complete responses (and ≥ K)


def item_frame(wave: Wave, instrument: Instrument) -> pd.DataFrame:
    """Item answers of one instrument (after reverse scoring), one row per response (internal).

    Columns: ``language`` and one per item id (raw values, reverse-scored items flipped; NaN when not
    answered). One query per instrument, whatever the number of scales and languages read from it."""
    q = (select(Answer.response_id, Response.language, Answer.item_id, Answer.value)
         .join(Response, Response.id == Answer.response_id)
         .where(Response.wave_id == wave.id, Answer.instrument_id == instrument.id))
    columns = [it.id for it in instrument.items]
    df = _frame(db.session.execute(q).all(), ["response_id", "language", "item_id", "value"])
    if df.empty:
        return pd.DataFrame(columns=["language", *columns])
    df["value"] = df["value"].astype(float)
    # Vectorised reverse scoring (item_score's rule, min + max - v, applied per item column at once):
    # a per-answer Python loop took most of a 100,000-response wave's reliability.
    flip = {it.id: instrument.response_sets[it.response_set].min + instrument.response_sets[it.response_set].max
            for it in instrument.items if it.reverse}
    if flip:
        total = df["item_id"].map(flip)
        df["value"] = np.where(total.notna(), total - df["value"], df["value"])
    wide = df.pivot(index=["response_id", "language"], columns="item_id", values="value")
    return wide.reindex(columns=columns).reset_index(level="language").reset_index(drop=True)


def wave_reliability(wave: Wave) -> pd.DataFrame:
    """Reliability per scale and language, from the release ledger (see :func:`_wave_reliability`)."""
    table = ledger.released("reliability", wave, {}, lambda: _wave_reliability(wave), created_by=_who(),
                            wait=_wait())
    if "item_r" in table.columns:  # JSON keeps the mapping; an empty one comes back as {}
        table["item_r"] = [v if isinstance(v, dict) else {} for v in table["item_r"]]
    return table


def _wave_reliability(wave: Wave) -> pd.DataFrame:
    """Reliability per scale (≥ 2 items) and language: Cronbach's α with Feldt 95 % CI, McDonald's ω,
    corrected item–total correlations (items with r < .30 listed), the share of missing answers, the
    instrument's status in that language, and a measurement-equivalence screen across languages.

    Columns: ``scale, language, status, n, alpha, ci_low, ci_high, omega, n_flagged, flagged_items,
    missing_pct, released, note, item_r, alpha_rest, p_holm, equivalence_flag, equivalence_items``.
    ``item_r`` maps item id → corrected item–total r (two decimals). Rows with fewer than max(K, 30)
    complete responses are not released (numbers null, ``note`` says why). α < .70 is flagged in
    ``note`` (Nunnally 1978's usual floor). The equivalence screen
    (:func:`wellbeing.core.psychometrics.language_equivalence`) compares the released languages pairwise
    (Feldt's test of equal α, Holm-adjusted, counted when also |Δα| ≥ .05; item–total correlations
    differing by more than .20) and flags a language that differs from every other one; ``note`` codes are
    ``few:<n>``, ``novar`` and ``low_alpha`` (the page translates them).
    """
    from ..core.disclosure import round_half_away
    from ..core.psychometrics import item_total, language_equivalence, reliability

    def r2(x):  # type: ignore[no-untyped-def]
        return round_half_away(float(x), 2) if x is not None and pd.notna(x) else None

    rows = []
    languages = [lang for (lang,) in db.session.execute(
        select(Response.language).where(Response.wave_id == wave.id).distinct())]
    need = max(wave.min_cell, MIN_RELIABILITY_N)
    answers: dict[str, pd.DataFrame] = {}  # instrument id -> item_frame, read once
    for info in wave_scales(wave):
        if len(info.scale.items) < 2:
            continue
        released_frames: dict[str, pd.DataFrame] = {}
        scale_rows = []
        if info.instrument.id not in answers:
            answers[info.instrument.id] = item_frame(wave, info.instrument)
        frame = answers[info.instrument.id]
        for lang in sorted(languages) + ["all"]:
            chosen = frame if lang == "all" else frame[frame["language"] == lang]
            items = chosen[list(info.scale.items)].reset_index(drop=True)
            answered = items.dropna(how="all")
            complete = items.dropna()
            st = info.instrument.languages.get(lang)
            row = {"scale": info.scale_id, "language": lang, "status": st.status if st else "",
                   "n": len(complete), "alpha": None,
                   "ci_low": None, "ci_high": None, "omega": None, "n_flagged": None, "flagged_items": "",
                   "missing_pct": None, "released": False, "note": "", "item_r": {}, "alpha_rest": None,
                   "p_holm": None, "equivalence_flag": False, "equivalence_items": "", "alpha_flag": False}
            if len(complete) < need or complete.std().eq(0).any():
                row["note"] = f"few:{need}" if len(complete) < need else "novar"
                row["n"] = None if len(complete) < wave.min_cell else len(complete)
                scale_rows.append(row)
                continue
            rel = reliability(complete.astype(float)).iloc[0]
            flagged: list[str] = []
            if complete.shape[1] >= 3:
                it = item_total(complete.astype(float))
                flagged = list(it.loc[it["flag"], "item"])
                row["item_r"] = {k: r2(v) for k, v in zip(it["item"], it["r_drop"])}
            row.update(alpha=round_half_away(rel["alpha"], 2), ci_low=round_half_away(rel["ci_low"], 2),
                       ci_high=round_half_away(rel["ci_high"], 2),
                       omega=round_half_away(rel["omega"], 2) if pd.notna(rel["omega"]) else None,
                       n_flagged=len(flagged), flagged_items=", ".join(flagged),
                       missing_pct=round_half_away(100 * float(answered.isna().to_numpy().mean()), 0),
                       released=True, note="low_alpha" if rel["alpha"] < 0.70 else "")
            if lang != "all":
                released_frames[lang] = complete.astype(float)
            scale_rows.append(row)
        if len(released_frames) >= 2:
            eq = language_equivalence(released_frames).set_index("language")
            for row in scale_rows:
                if row["language"] in eq.index:
                    e = eq.loc[row["language"]]
                    row.update(alpha_rest=r2(e["alpha_rest"]), p_holm=(None if pd.isna(e["p_holm"])
                                                                       else round_half_away(float(e["p_holm"]), 3)),
                               equivalence_flag=bool(e["flag"]),
                               equivalence_items=", ".join(e["items_flagged"]),
                               alpha_flag=bool(e["alpha_flag"]))
        rows.extend(scale_rows)
    return pd.DataFrame(rows)


def note_text(code: str) -> str:
    """English text of a reliability ``note`` code (CSV/PDF; pages translate the codes themselves)."""
    if code.startswith("few:"):
        return f"fewer than {code[4:]} complete responses"
    return {"novar": "an item has no variance", "low_alpha": "α below .70"}.get(code, code)


def reliability_by_scale(table: pd.DataFrame) -> list[dict]:
    """The reliability table regrouped for a side-by-side view: one entry per scale with its languages
    (columns, ``all`` last) and, per language, the released row (``plain_records`` form)."""
    out: list[dict] = []
    if table.empty:
        return out
    for scale, part in table.groupby("scale", sort=False):
        recs = {r["language"]: r for r in plain_records(part)}
        langs = [k for k in recs if k != "all"] + (["all"] if "all" in recs else [])
        items: list[str] = []
        for r in recs.values():
            for k in (r.get("item_r") or {}):
                if k not in items:
                    items.append(k)
        out.append({"scale": scale, "languages": langs, "rows": recs, "items": items,
                    "flagged": [k for k in langs if recs[k].get("equivalence_flag")]})
    return out


# ------------------------------------------------------------------------------------------ trend

STABLE_LEVELS = ("region", "shift_pattern")


def trend(scale_id: str, level: str, waves: Sequence[Wave]) -> pd.DataFrame:
    """Released means of ``scale_id`` at a stable ``level`` (region or shift pattern; or the whole
    wave for ``"total"``) across closed ``waves``, each from that wave's own released table.

    Columns: ``wave, row, n, mean, ci_low, ci_high, suppressed, reason``.
    """
    if level not in (*STABLE_LEVELS, "total"):
        raise ResultsError(f"trend: level must be one of {', '.join(STABLE_LEVELS)} or total")
    out = []
    for w in waves:
        if w.status != WaveStatus.closed:
            continue
        infos = [s for s in wave_scales(w) if s.scale_id == scale_id]
        if not infos:
            continue
        rel = view(release_scale(w, infos[0]), [] if level == "total" else [level])
        rel = rel.assign(wave=w.slug, row=rel[level] if level != "total" else "all")
        out.append(rel[["wave", "row", "n", "mean", "ci_low", "ci_high", "suppressed", "reason"]])
    if not out:
        return pd.DataFrame(columns=["wave", "row", "n", "mean", "ci_low", "ci_high", "suppressed", "reason"])
    return pd.concat(out, ignore_index=True)


EXPORT_COLUMNS = ("n", "mean", "ci_low", "ci_high", "share_high", "share_ci_low", "share_ci_high",
                  "suppressed", "reason")


def export_columns(table: pd.DataFrame) -> list[str]:
    dims = [c for c in table.columns if c not in _NON_DIM]
    return ["scale", *dims, *EXPORT_COLUMNS]


def to_csv(table: pd.DataFrame, headers: Mapping[str, str] | None = None) -> str:
    """The released rows as CSV: suppressed numbers empty, values as released (rounded once).

    ``headers`` renames columns for people (e.g. in the reader's language); by default the header
    row holds the column names of CLI.md, which programs read.
    """
    return frame_csv(table, export_columns(table), headers)


def band_distribution(wave: Wave, scale: ScaleInfo) -> list[dict]:
    """The whole wave's distribution over a scale's bands (released only at the wave level, where no
    subtraction can isolate a group): per band ``band, label, concern, n, share`` (percent, whole
    number); a band whose count or complement is below K shows no numbers (``suppressed``). Read from
    the release ledger (computed once per wave and scale, not from every score on each view)."""
    if wave.status != WaveStatus.closed or not scale.scale.bands:
        return []
    params = {"scale": scale.scale_id, "instrument": scale.instrument.content_hash}
    table = ledger.released("bands", wave, params, lambda: _band_distribution(wave, scale), created_by=_who(),
                            wait=_wait())
    return plain_records(table) if len(table) else []


def _band_distribution(wave: Wave, scale: ScaleInfo) -> pd.DataFrame:
    from ..core.disclosure import round_half_away

    cols = ["band", "label", "concern", "n", "share", "suppressed"]
    rows = score_rows(wave, scale)
    total = len(rows)
    if total < wave.min_cell:
        return pd.DataFrame(columns=cols)
    ids = [b.id if (b := scale.scale.band_for(v)) is not None else None for v in rows["value"].unique()]
    band_of = dict(zip(rows["value"].unique(), ids, strict=True))
    counts = rows["value"].map(band_of).value_counts()
    out = []
    for b in scale.scale.bands:
        n = int(counts.get(b.id, 0))
        ok = n >= wave.min_cell and total - n >= wave.min_cell
        out.append({"band": b.id, "label": b.label, "concern": b.concern, "n": n if ok else None,
                    "share": round_half_away(100 * n / total, 0) if ok else None, "suppressed": not ok})
    return pd.DataFrame(out, columns=cols).astype({"n": "Int64", "share": "Float64"})
