"""``flask schedules what-if`` (issue 23): the predicted change of a scale if a unit worked another pattern."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from .errors import fail, refusals
from .output import echo, emit_document, format_option

if TYPE_CHECKING:
    from ..core.patterns import ShiftPattern


@click.command("what-if")
@with_appcontext
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
@format_option(("table", "json"))
@refusals()
def command(unit: str, group: str | None, pattern: str | None, sequence: str | None, shifts: tuple[str, ...],
            crews: int | None, wave_slug: str, outcome: str, exposures: str | None, model_waves: str | None,
            fmt: str) -> None:
    """Predicted change of a scale if UNIT worked another pattern (assumes the association is causal)."""
    from ..core.whatif import custom_pattern
    from ..services import whatif as svc
    from ..services.waves import get_wave

    if (pattern is None) == (sequence is None):
        fail("give --pattern SLUG or --sequence with --shift (one of the two)")
    pat: str | ShiftPattern | None = pattern
    if sequence is not None:
        try:   # a malformed --sequence/--shift is the user's input (core raises a plain ValueError)
            pat = custom_pattern(sequence, shifts, crews)
        except ValueError as exc:
            fail(str(exc))
    exp = tuple(e.strip() for e in exposures.split(",") if e.strip()) if exposures else svc.DEFAULT_EXPOSURES
    mw = [w.strip() for w in model_waves.split(",") if w.strip()] if model_waves else None
    assert pat is not None
    r = svc.what_if(unit, pat, get_wave(wave_slug), outcome, group=group, model_waves=mw, exposures=exp)
    out = svc.release_what_if(r)
    if fmt == "json":
        emit_document(out)
        return
    echo(_what_if_text(out))


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
