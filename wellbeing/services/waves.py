"""Waves: create, issue codes (freezing reporting groups and K), open, close, list.

The CLI (``flask waves ...``) and the admin pages call these functions; each either completes and
commits or raises :class:`WaveError` having saved nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from ..core.codes import generate_code, hmac_code, slips_count
from ..core.csv_cells import write_csv
from ..core.groups import GroupSpec, UnitCell, form_groups
from ..core.instruments import Instrument
from ..core.response_import import ImportGroup
from ..core.slips import slips_pdf
from ..extensions import db
from ..models import AccessCode, ReportingGroup, Unit, UnitLevel, Wave, WaveInstrument, WaveStatus
from ..pages import deployment_languages
from . import batches
from .catalogue import get_catalogue, snapshot

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MIN_K = 5  # DESIGN.md section 4, rule 7: never below 5


class WaveError(ValueError):
    """A wave request was refused; the message says which field and why (a lazy translatable string:
    English in the CLI, the page's language on admin pages)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def deployment_k() -> int:
    """The deployment's default K (``MIN_CELL_K``), never below 5 (DESIGN.md rule 7)."""
    k = int(current_app.config.get("MIN_CELL_K", MIN_K))
    if k < MIN_K:
        raise WaveError(_l("MIN_CELL_K = %(k)s in the configuration: K is at least %(min)s", k=k, min=MIN_K))
    return k


def get_wave(slug: str) -> Wave:
    """The wave called ``slug``; raises :class:`WaveError` if there is none."""
    wave = find_wave(slug)
    if wave is None:
        raise WaveError(_l("wave '%(slug)s': no such wave", slug=slug))
    return wave


def find_wave(slug: str) -> Wave | None:
    """The wave called ``slug``, or None."""
    return db.session.execute(db.select(Wave).filter_by(slug=slug)).scalar_one_or_none()


def wave_by_id(wave_id: int) -> Wave | None:
    """The wave with primary key ``wave_id``, or None (e.g. deleted meanwhile)."""
    return db.session.get(Wave, wave_id)


def list_waves(*, newest_first: bool = False, statuses: Sequence[WaveStatus] | None = None) -> list[Wave]:
    """Every wave (or those in ``statuses``) by opening date then slug; ``newest_first`` reverses the
    dates (slugs stay ascending within a date)."""
    stmt = db.select(Wave).order_by(Wave.opens.desc() if newest_first else Wave.opens, Wave.slug)
    if statuses is not None:
        stmt = stmt.where(Wave.status.in_(list(statuses)))
    return list(db.session.execute(stmt).scalars())


def status_counts() -> dict[str, int]:
    """Wave status -> number of waves (the admin dashboard)."""
    rows = db.session.execute(db.select(Wave.status, db.func.count()).group_by(Wave.status)).all()
    return {str(status): int(n) for status, n in rows}


def code_count(wave: Wave) -> int:
    """Access codes issued for ``wave`` (used or not: issuing is public, use is not)."""
    return int(db.session.execute(db.select(db.func.count()).select_from(AccessCode)
                                  .where(AccessCode.wave_id == wave.id)).scalar_one())


def code_counts_by_group(wave: Wave) -> dict[int, int]:
    """Reporting group id -> access codes issued for it."""
    return {int(g): int(n) for g, n in db.session.execute(
        db.select(AccessCode.group_id, db.func.count()).where(AccessCode.wave_id == wave.id)
        .group_by(AccessCode.group_id)).all()}


def create_wave(slug: str, instruments: Sequence[str], *, opens: date | None = None,
                closes: date | None = None, min_cell: int | None = None, window_days: int = 90,
                units: Sequence[str] = (), title: str = "", import_only: bool = False,
                groups: Sequence[ImportGroup] = ()) -> Wave:
    """Create a draft wave storing a snapshot of each instrument (content hash + copy).

    An import-only wave (``import_only=True``) is filled only by ``flask responses import``: it needs
    ``groups`` (from ``GROUPS.csv``: value in the data -> reporting-group slug), has no dates, and its
    reporting groups and K are frozen at creation. Lifecycle (docs/response-import.md): it stays
    ``draft`` (never issued, never open for web answers) while files are imported; ``close`` makes it
    ``closed``, which ends imports and releases results.

    Raises WaveError for a bad slug, a duplicate, an unknown or structure-only instrument, K < 5,
    closes before opens, an unknown unit, or groups missing (import-only) or given (web wave).
    """
    problems = []
    if min_cell is None:
        min_cell = deployment_k()
    if not SLUG_RE.match(slug or ""):
        problems.append(_l("slug: '%(slug)s' is not a slug (lower-case letters, digits, '-')", slug=slug))
    elif db.session.execute(db.select(Wave.id).filter_by(slug=slug)).first():
        problems.append(_l("slug: a wave '%(slug)s' exists already", slug=slug))
    catalogue = get_catalogue()
    if not instruments:
        problems.append(_l("instruments: choose at least one"))
    for iid in instruments:
        inst = catalogue.get(iid)
        if inst is None:
            problems.append(_l("instruments: unknown instrument '%(id)s'", id=iid))
        elif inst.structure_only:
            problems.append(_l("instruments: '%(id)s' has no item text here (licensed: add it in instance/surveys/)",
                               id=iid))
    if len(set(instruments)) != len(instruments):
        problems.append(_l("instruments: listed twice"))
    if min_cell < MIN_K:
        problems.append(_l("min_cell: K is at least %(min)s (DESIGN.md rule 7), not %(k)s", min=MIN_K, k=min_cell))
    if import_only and not groups:
        problems.append("groups: an import-only wave needs --groups GROUPS.csv (value,slug,label)")
    if groups and not import_only:
        problems.append("groups: only an import-only wave takes a groups file (web waves form groups "
                        "when codes are issued)")
    if not import_only:
        if opens is None or closes is None:
            problems.append(_l("dates: a wave needs --opens and --closes"))
        elif closes < opens:
            problems.append(_l("closes: %(closes)s is before opens %(opens)s", closes=closes, opens=opens))
    if window_days < 7:
        problems.append(_l("window_days: at least 7"))
    known = {s for (s,) in db.session.execute(db.select(Unit.slug))}
    for u in units:
        if u not in known:
            problems.append(_l("units: unknown unit '%(unit)s'", unit=u))
    if problems:
        raise WaveError("; ".join(str(p) for p in problems))
    wave = Wave(slug=slug, title=title or slug, opens=opens, closes=closes, min_cell=min_cell,
                window_days=window_days, import_only=import_only, unit_scope=",".join(units),
                status=WaveStatus.draft)
    for pos, iid in enumerate(instruments):
        wave.instruments.append(WaveInstrument(snapshot=snapshot(catalogue[iid]), position=pos))
    for g in groups:  # frozen from now on (Wave.frozen): K and groups never change
        wave.groups.append(ReportingGroup(slug=g.slug, label=g.label, import_value=g.value,
                                          shift_pattern="all", size=0))
    db.session.add(wave)
    db.session.commit()
    return wave


def set_min_cell(wave: Wave, k: int) -> None:
    """Change K of a draft wave: never below 5, never after codes are issued (DESIGN.md rule 7)."""
    if wave.frozen:
        raise WaveError(_l("wave '%(slug)s': K is frozen once codes are issued", slug=wave.slug))
    if k < MIN_K:
        raise WaveError(_l("min_cell: K is at least %(min)s, not %(k)s", min=MIN_K, k=k))
    wave.min_cell = k
    db.session.commit()


def _unit_cells(wave: Wave) -> tuple[list[UnitCell], dict[str, str]]:
    """Unit cells (pattern ``all``) from the units' headcounts: used while no roster snapshot exists."""
    units = list(db.session.execute(db.select(Unit)).scalars())
    by_id = {u.id: u for u in units}
    scope = set(filter(None, wave.unit_scope.split(",")))

    def ancestors(u: Unit) -> dict[str, str]:
        out, cur = {}, u
        while cur is not None:
            out[str(cur.level)] = cur.slug
            cur = by_id.get(cur.parent_id) if cur.parent_id else None
        return out

    cells = []
    for u in units:
        if u.level != UnitLevel.unit:
            continue
        anc = ancestors(u)
        if scope and not scope & set(anc.values()):
            continue
        cells.append(UnitCell(u.slug, anc.get("department", u.slug), anc.get("region", u.slug), "all",
                              u.headcount or 0))
    return cells, {u.slug: u.name for u in units}


def _roster_cells(wave: Wave, snapshot_id: int) -> tuple[list[UnitCell], dict[str, str]]:
    """Unit × shift-pattern cells from a roster snapshot: officers per unit and roster shift pattern
    (``all`` for officers whose pattern is not known), within the wave's unit scope."""
    from ..models import RosterEntry

    base, names = _unit_cells(wave)
    where = {c.unit: c for c in base}
    counts = db.session.execute(
        db.select(Unit.slug, RosterEntry.shift_pattern, db.func.count())
        .join(Unit, Unit.id == RosterEntry.unit_id).where(RosterEntry.snapshot_id == snapshot_id)
        .group_by(Unit.slug, RosterEntry.shift_pattern)).all()
    cells = [UnitCell(unit, where[unit].department, where[unit].region, pattern or "all", int(n))
             for unit, pattern, n in counts if unit in where]
    return cells, names


def roster_snapshot_for(wave: Wave) -> int | None:
    """Id of the roster snapshot a wave's groups come from: the one frozen with the wave, else the
    newest snapshot as of the wave's opening (None: no roster yet, unit headcounts serve)."""
    from ..models import RosterSnapshot, WaveRoster

    frozen = db.session.get(WaveRoster, wave.id) if wave.id is not None else None
    if frozen is not None:
        return frozen.snapshot_id
    stmt = db.select(RosterSnapshot.id).order_by(RosterSnapshot.as_of.desc(), RosterSnapshot.id.desc()).limit(1)
    if wave.opens is not None:
        stmt = stmt.where(RosterSnapshot.as_of <= wave.opens)
    return db.session.execute(stmt).scalar_one_or_none()


def plan_groups(wave: Wave) -> list[GroupSpec]:
    """Reporting groups the wave would get: pooled units × roster shift pattern from the roster snapshot
    as of its opening (size = officers on it), or pooled units ``--all`` from headcounts without one."""
    snapshot_id = roster_snapshot_for(wave)
    if snapshot_id is not None:
        cells, names = _roster_cells(wave, snapshot_id)
    else:
        cells, names = _unit_cells(wave)
    return form_groups(cells, wave.min_cell, names)


@dataclass(frozen=True)
class IssuedGroup:
    slug: str
    label: str
    size: int
    codes: tuple[str, ...]


def issue_codes(wave: Wave, *, extra: float = 0.2) -> list[IssuedGroup]:
    """Freeze the wave's reporting groups and K and create its codes (only HMACs are stored).

    Groups come from the roster snapshot as of the wave's opening when one exists (pooled units × roster
    shift pattern; the snapshot used is stored in ``wave_roster``), else from unit headcounts.
    Returns the plain codes per group, for printing once; they are not kept anywhere.
    Raises WaveError when the wave is not a draft or no unit has a headcount.
    """
    if wave.status != WaveStatus.draft or wave.import_only:
        raise WaveError(_l("wave '%(slug)s': codes can only be issued once, for a draft web wave", slug=wave.slug))
    if not 0 <= extra <= 1:
        raise WaveError(_l("extra: between 0 and 1"))
    specs = plan_groups(wave)
    snapshot_id = roster_snapshot_for(wave)
    if not specs:
        raise WaveError(_l("wave '%(slug)s': no unit with officers (import units with a headcount first)",
                           slug=wave.slug))
    key = current_app.config["CODE_HMAC_KEY"]
    if not key:
        raise WaveError("CODE_HMAC_KEY is not set: run `flask setup`")
    issued = []
    try:
        for spec in specs:
            group = ReportingGroup(slug=spec.slug, label=spec.label, unit_slugs=",".join(spec.units),
                                   region_slug=spec.region, department_slug=spec.department,
                                   shift_pattern=spec.shift_pattern, size=spec.size)
            wave.groups.append(group)
            db.session.flush()
            codes = tuple(generate_code() for _ in range(slips_count(spec.size, extra)))
            db.session.add_all(AccessCode(code_hmac=hmac_code(key, c), wave_id=wave.id, group_id=group.id)
                               for c in codes)
            issued.append(IssuedGroup(spec.slug, spec.label, spec.size, codes))
        if snapshot_id is not None:   # frozen with the wave: later roster edits never re-slice it
            from ..models import WaveRoster

            db.session.add(WaveRoster(wave_id=wave.id, snapshot_id=snapshot_id))
        wave.status = WaveStatus.issued
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return issued


def missing_languages(instruments: Sequence[Instrument]) -> dict[str, list[str]]:
    """Instrument id -> the deployment's languages (``LANGUAGES``) it cannot be shown in; only
    instruments lacking some language are listed. Officers choosing such a language see the items in
    Russian, else English (``pages.localized``)."""
    langs = list(deployment_languages())
    out = {}
    for inst in instruments:
        lacking = [lang for lang in langs if lang not in inst.available_languages]
        if lacking:
            out[inst.id] = lacking
    return out


def wave_languages(wave: Wave) -> list[str]:
    """The deployment's languages in which every instrument of ``wave`` can be shown (the slips are
    printed in these); if no language is shared by all, those any instrument has."""
    from .submissions import wave_instruments

    langs = list(deployment_languages())
    insts = wave_instruments(wave)
    common = [lang for lang in langs if all(lang in i.available_languages for i in insts)]
    return common or [lang for lang in langs if any(lang in i.available_languages for i in insts)] or langs


def slip_notes(languages: Sequence[str]) -> list[str]:
    """The note printed on every slip, once per language: how to answer and what the QR code holds."""
    notes = []
    for lang in languages:
        with force_locale(lang):
            notes.append(gettext("Anonymous survey. Scan the QR code or type the code at the address above. "
                                 "The QR code holds only this address and the code. Nobody records who "
                                 "took which slip."))
    return notes


def write_slips(wave: Wave, issued: Sequence[IssuedGroup], out_dir: str | Path, address: str) -> list[Path]:
    """Write ``slips-<group>.pdf`` per group and ``codes.csv`` (reporting_group,code) into ``out_dir``.

    The slips carry a note in each of :func:`wave_languages` and a QR code holding
    ``<address>#c=<code>`` (see :mod:`wellbeing.core.slips`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    notes = slip_notes(wave_languages(wave))
    for g in issued:
        path = out / f"slips-{g.slug}.pdf"
        path.write_bytes(slips_pdf(g.codes, title=wave.title, address=address, notes=notes))
        written.append(path)
    written.append(out / "codes.csv")
    written[-1].write_text(codes_csv(issued), encoding="utf-8")
    return written


def codes_csv(issued: Sequence[IssuedGroup]) -> str:
    """The issued codes as CSV: columns ``reporting_group``, ``code`` (one line per code)."""
    return write_csv(("reporting_group", "code"), ((g.slug, c) for g in issued for c in g.codes))


def open_wave(wave: Wave) -> None:
    """Open an issued wave for answers (opening requires issued codes)."""
    if wave.import_only:
        raise WaveError(_l("wave '%(slug)s' is import-only and never opens for web answers", slug=wave.slug))
    if wave.status == WaveStatus.open:
        return
    if wave.status != WaveStatus.issued:
        raise WaveError(_l("wave '%(slug)s' is %(status)s: opening requires issued codes", slug=wave.slug,
                            status=wave.status))
    wave.status = WaveStatus.open
    db.session.commit()


def close_wave(wave: Wave, *, warm: bool = True) -> None:
    """Close an open wave, or an import-only wave once its files are imported: no more answers, and
    results may be released (never while a wave is open or still importing). Every answer still sealed
    becomes readable now, one shuffled batch per group, and the wave's survey drafts are deleted.
    ``warm`` computes its released tables now (see ``services.results.warm``) so that the first
    results page is fast."""
    if wave.status == WaveStatus.closed and not batches.pending_count(wave.id):
        return
    if wave.status not in (WaveStatus.open, WaveStatus.closed) and not wave.import_only:
        raise WaveError(_l("wave '%(slug)s' is %(status)s: only an open wave closes", slug=wave.slug,
                            status=wave.status))
    # One transaction: status, release of every sealed answer, deletion of every draft; then the
    # wave's rows are rewritten in random order (services.batches.close). A close interrupted before
    # its release is finished by running it again.
    batches.close(wave)
    if warm:
        from .results import warm as warm_results

        warm_results(wave)  # released tables are computed once, now, not on the first page view


def set_instrument_order(wave: Wave, order: Sequence[str]) -> None:
    """Put a draft wave's instruments (questionnaire pages) in ``order`` (instrument ids, first page
    first). The order is frozen with the reporting groups when codes are issued, so that every officer
    of a wave sees the pages in the one order chosen for it.

    Raises WaveError when the wave is frozen or ``order`` is not a permutation of its instruments.
    """
    if wave.frozen or wave.status != WaveStatus.draft:
        raise WaveError(_l("wave '%(slug)s': the question order is frozen once codes are issued", slug=wave.slug))
    current = {wi.snapshot.instrument_id: wi for wi in wave.instruments}
    if sorted(order) != sorted(current) or len(set(order)) != len(order):
        raise WaveError(_l("order: list each instrument of the wave once (%(ids)s)", ids=", ".join(current)))
    # Two steps, so that the unique (wave_id, position) constraint never sees two equal positions.
    for pos, wi in enumerate(current.values()):
        wi.position = 1000 + pos
    db.session.flush()
    for pos, iid in enumerate(order):
        current[iid].position = pos
    db.session.commit()
    db.session.refresh(wave)


def deletable(wave: Wave) -> bool:
    """Whether ``wave`` may be deleted: a draft or an issued wave that was never opened, with no
    response (an import-only draft holding imported answers is not deletable)."""
    from ..models import Response

    if wave.status not in (WaveStatus.draft, WaveStatus.issued):
        return False
    return db.session.execute(_count(Response, Response.wave_id == wave.id)).scalar_one() == 0


def _count(model, *where):  # type: ignore[no-untyped-def]
    return db.select(db.func.count()).select_from(model).where(*where)


def delete_wave(wave: Wave) -> int:
    """Delete a draft or issued-but-never-opened wave, destroying its codes (ledger rows), reporting
    groups, instrument snapshots links and frozen roster link, in one transaction. Printed slips of a
    deleted wave are refused as unknown codes from then on. Returns the number of codes destroyed.

    Raises WaveError when the wave has been opened (open or closed) or holds responses.
    """
    from ..models import Progress, WaveRoster

    if not deletable(wave):
        raise WaveError(_l("wave '%(slug)s' is %(status)s: only a draft or a wave never opened can be deleted",
                           slug=wave.slug, status=wave.status))
    try:
        n = db.session.execute(db.delete(AccessCode).where(AccessCode.wave_id == wave.id)).rowcount
        db.session.execute(db.delete(Progress).where(Progress.wave_id == wave.id))
        db.session.execute(db.delete(WaveRoster).where(WaveRoster.wave_id == wave.id))
        db.session.delete(wave)   # cascades to its groups and instrument links
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return int(n or 0)
