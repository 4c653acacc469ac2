"""``flask schedules costs`` and ``flask schedules what-if`` (issues 22 and 23), added to the ``schedules`` group."""

from __future__ import annotations

import click

from ..cli import emit, fail, operator_name, read_file, schedules_cli
from ..core.tables import ImportRejected


def _merge_pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for v in values:
        a, sep, b = v.partition("+")
        if not sep or not a.strip() or not b.strip():
            fail(f"--merge: {v!r}: give two form names joined by '+', e.g. \"incident report+shift log\"")
        pairs.append((a.strip(), b.strip()))
    return pairs


@schedules_cli.command("costs")
@click.argument("wave")
@click.option("--rates", "rates_file", default=None, type=click.Path(dir_okay=False),
              help="pay-rates file (position,hourly_rate,currency,overtime,night,holiday); stored when valid. "
                   "Default: the newest stored one")
@click.option("--register", "register_file", default=None, type=click.Path(dir_okay=False),
              help="paperwork register (unit_type,form,per,times,minutes); stored when valid")
@click.option("--remove", multiple=True, metavar="FORM", help="scenario: remove this form (repeatable)")
@click.option("--merge", multiple=True, metavar="A+B", help="scenario: merge two forms (repeatable)")
@click.option("--level", type=click.Choice(["group", "region", "all", "every"]), default="every",
              show_default=True, help="rows to print")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", default=None, type=click.Path(dir_okay=False))
def schedules_costs(wave: str, rates_file: str | None, register_file: str | None, remove: tuple[str, ...],
                    merge: tuple[str, ...], level: str, fmt: str, out: str | None) -> None:
    """Overtime by art. 78 limits, its cost, the compliance scenario and paperwork per group of WAVE.

    Rows per reporting group, region and the whole wave (level, key); numbers of a group under K
    officers, and of a total that would give them by subtraction, are empty (reason below_k /
    complement). Hours in h, money in the rates file's currency, FTE in officers.

    \b
    Pay-rates file (--rates), one row per position or grade, no personal salary:
      position,hourly_rate,currency,overtime,night,holiday
      Patrol police battalion,2100,KZT,1.5,1.5,1.5
      *,2000,KZT,1.5,1.5,1.5
    position: the roster's position (* = every position not listed); hourly_rate > 0;
    currency: ISO 4217 code, one per file; overtime, night, holiday: multipliers >= 1
    of the hourly rate (overtime hours are paid whole at rate x overtime; night and
    weekend hours get rate x (multiplier - 1) on top).

    \b
    Paperwork register (--register), one row per form and unit type:
      unit_type,form,per,times,minutes
      Patrol police battalion,incident report,shift,2,25
      *,monthly activity report,month,1,90
    unit_type: a unit's name in the hierarchy (* = every unit); per: shift, day, week,
    month or year; times > 0 per that unit; minutes > 0 each.

    A bad file is refused with row and column of every problem and nothing is stored;
    a valid one becomes the one in use (the page uses the same).
    """
    from ..services import costs as svc
    from ..services.results import plain_records
    from ..services.waves import WaveError, get_wave

    pairs = _merge_pairs(merge)
    for kind, path in (("rates", rates_file), ("register", register_file)):
        if path:
            try:
                n = svc.store_cost_file(kind, read_file(path), imported_by=operator_name(), filename=path)
            except ImportRejected as exc:  # an undecodable file too (rule ``encoding``)
                fail(f"{path}: {e}" for e in exc.errors)
            click.echo(f"{path}: stored {n} {kind} rows", err=True)
    try:
        wc = svc.wave_costs(get_wave(wave), remove=remove, merge=pairs)
    except (WaveError, svc.CostsError) as exc:
        fail(str(exc))
    table = svc.release_costs(wc)
    if level != "every":
        table = table[table["level"] == level]
    start, end = wc.window
    click.echo(f"wave {wave}: reference window {start} to {end} (end exclusive); money in {wc.currency}; "
               f"groups under K={wc.wave.min_cell} officers suppressed", err=True)
    emit(plain_records(table, svc.RELEASED_COLUMNS), fmt, svc.RELEASED_COLUMNS, out)


@schedules_cli.command("what-if")
@click.option("--unit", required=True, help="unit id (its officers on the wave's roster snapshot)")
@click.option("--group", default=None, help="reporting group (default: the unit's officers' group)")
@click.option("--pattern", default=None, help="catalogue pattern slug, or omit and give --sequence and --shift")
@click.option("--sequence", default=None, help='custom day sequence, e.g. "DDNNOOOO" (O or - = off)')
@click.option("--shift", "shifts", multiple=True, metavar="CODE=HH:MM+Nh",
              help="a code of --sequence, e.g. D=07:00+12h")
@click.option("--crews", default=None, type=int, help="crews of a custom sequence (default: length / codes)")
@click.option("--wave", "wave_slug", required=True, help="wave whose reference window and groups are used")
@click.option("--outcome", required=True, help="scale id, e.g. cbi.work")
@click.option("--exposures", default=None, help="comma-separated exposures of the feature model "
                                                 "(default: night_hours,quick_returns,duties_24h)")
@click.option("--model-waves", default=None, help="closed waves the model is fitted on (default: every closed "
                                                   "wave with these features)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def schedules_what_if(unit: str, group: str | None, pattern: str | None, sequence: str | None, shifts: tuple[str, ...],
                      crews: int | None, wave_slug: str, outcome: str, exposures: str | None, model_waves: str | None,
                      fmt: str) -> None:
    """Predicted change of a scale if UNIT worked another pattern (assumes the association is causal)."""
    import json

    from ..core.whatif import custom_pattern
    from ..services import whatif as svc
    from ..services.waves import WaveError, get_wave

    if (pattern is None) == (sequence is None):
        fail("give --pattern SLUG or --sequence with --shift (one of the two)")
    pat = pattern
    if sequence is not None:
        try:
            pat = custom_pattern(sequence, shifts, crews)
        except ValueError as exc:
            fail(str(exc))
    exp = tuple(e.strip() for e in exposures.split(",") if e.strip()) if exposures else svc.DEFAULT_EXPOSURES
    mw = [w.strip() for w in model_waves.split(",") if w.strip()] if model_waves else None
    try:
        r = svc.what_if(unit, pat, get_wave(wave_slug), outcome, group=group, model_waves=mw, exposures=exp)
    except (WaveError, svc.WhatIfError) as exc:
        fail(str(exc))
    out = svc.release_what_if(r)
    if fmt == "json":
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(_what_if_text(out))


def _what_if_text(o: dict) -> str:
    """The what-if as plain text (the released dictionary only)."""
    def f(v: object) -> str:
        if v is None:
            return "–"
        if isinstance(v, float):
            return f"{v:.0f}" if v.is_integer() and abs(v) >= 1e5 else (f"{v:+g}" if v < 0 else f"{v:g}")
        return str(v)

    lines = [f"What-if: unit {o['unit']} (group {o['group']}) on {o['pattern']}, wave {o['wave']}, "
             f"reference window {o['window'][0]} to {o['window'][1]} (end exclusive)"]
    if not o["released"]:
        why = ("the group's officers outside the unit are fewer than K (their values would follow by subtraction)"
               if o["reason"] == "complement" else "the unit or its group has fewer than K officers")
        lines.append(f"suppressed ({o['reason']}): {why}")
        return "\n".join(lines)
    lines.append(f"{o['unit_officers']} officers of the unit, {o['group_officers']} in the group")
    lines.append("group feature                 now   proposed   change")
    for r in o["features"]:
        lines.append(f"  {r['feature']:<26}{f(r['now']):>7}{f(r['proposed']):>11}{f(r['change']):>9}")
    ot = o["overtime"]
    lines.append(f"overtime (accounting period), h per officer-month: {f(ot['h_per_officer_month_now'])} -> "
                 f"{f(ot['h_per_officer_month_proposed'])} ({f(ot['change'])})")
    if "premium_cost_year_change" in ot:
        lines.append(f"premium cost of the unit a year: {f(ot['premium_cost_year_now'])} -> "
                     f"{f(ot['premium_cost_year_proposed'])} {ot['currency']} ({f(ot['premium_cost_year_change'])})")
    p = o["prediction"]
    if p is None:
        lines.append(f"prediction: not released ({o['model']['reason'] or 'model refused'})")
    else:
        lines.append(f"predicted change of {o['outcome']}: {f(p['change'])} points "
                     f"(95 % interval {f(p['ci_low'])} to {f(p['ci_high'])}), from {o['model']['formula']} "
                     f"on {', '.join(o['model_waves'])}")
        for t in p["terms"]:
            lines.append(f"  {t['feature']}: change {f(t['delta'])} x {f(t['coefficient'])} = {f(t['contribution'])}")
    d = o["did"]
    if d is not None:
        lines.append(f"pilot {d.get('pilot')} (difference-in-differences, waves {', '.join(d.get('waves', []))}): "
                     f"{f(d.get('estimate'))} points (95 % interval {f(d.get('ci_low'))} to {f(d.get('ci_high'))}, "
                     f"permutation p {f(d.get('permutation_p'))})")
    lines += [f"note: {n}" for n in o.get("notes", [])]
    lines.append(o["causal_note"])
    return "\n".join(lines)
