"""``flask models fit|did``: statistical models on platform data or a CSV file (released by rule 12)."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from .errors import refusals
from .output import echo, emit, emit_document, fmt_num, format_option

group = AppGroup("models", help="Statistical models on platform data or a CSV file (released by rule 12).")

MODEL_TERM_COLUMNS = ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]


def emit_model(doc: dict, fmt: str, out: str | None, extra_cols: list[str]) -> None:
    """``models fit|did`` output: JSON document, CSV of the term rows, or a readable table.

    Every statsmodels warning goes with the result (JSON ``model.warnings``; table and CSV: stderr).
    """
    model, terms = doc["model"], doc["terms"]
    for w in model.get("warnings") or []:
        click.echo(f"warning: {w}", err=True)
    if fmt == "json":
        emit_document(doc, out, allow_nan=False)
        return
    cols = MODEL_TERM_COLUMNS + [c for c in extra_cols if any(c in t for t in terms)]
    if "suppressed" in (terms[0] if terms else {}):
        cols += ["suppressed", "reason"]
    if fmt == "csv":
        emit(terms, "csv", cols, out)
        return
    if model.get("released") is False:
        echo(f"model_refused: not released (DESIGN.md rule 12: >= 10 residual df and every factor "
             f"level >= K={model.get('min_cell')}): " + "; ".join(model.get("problems") or []))
        return
    head = [f"formula: {model.get('formula')}", f"method: {model.get('method')}",
            f"n = {model.get('n')}, groups = {model.get('n_groups')}, converged = {model.get('converged')}"]
    if model.get("icc") is not None:
        head.append(f"ICC (null model) = {model['icc']:.3g}")
    if model.get("permutation_p") is not None:
        head.append(f"permutation p ({model.get('permutation_statistic') or 'estimate'}) = "
                    f"{model['permutation_p']:.4g} over {model.get('n_permutations')} "
                    f"assignments (smallest possible p = 1/{model.get('n_permutations')} = "
                    f"{model.get('permutation_p_floor'):.3g})")
    echo("\n".join(head))
    rows = [{c: fmt_num(t.get(c)) for c in cols if c not in ("suppressed", "reason")} for t in terms]
    emit(rows, "table", [c for c in cols if c not in ("suppressed", "reason")], out)
    if model.get("intervals"):
        echo(f"intervals: {model['intervals']}")
    for name, table in (("marginal means", doc.get("marginal_means")), ("event study", doc.get("event_study")),
                        ("robustness: cluster-robust CR1 (do not use for inference: "
                         + str(model.get("cluster_robust_warning") or "") + ")", doc.get("cluster_robust"))):
        if table:
            echo(f"\n{name}:")
            keys = list(table[0].keys())
            emit([{k: fmt_num(r.get(k)) for k in keys} for r in table], "table", keys)
    for name, rob in (doc.get("robustness") or {}).items():
        echo(f"\nrobustness: {name} ({rob['method']})")
        emit([{c: fmt_num(t.get(c)) for c in MODEL_TERM_COLUMNS} for t in rob["terms"]], "table",
             MODEL_TERM_COLUMNS)


def _csv_doc(result: Any) -> dict:
    doc = result.to_dict()
    for t in doc["terms"]:
        t.setdefault("suppressed", False)
        t.setdefault("reason", "")
    return doc


def _inference_note(doc: dict, fmt: str) -> None:
    if fmt == "table" and doc["model"].get("inference_note") and doc["model"].get("released", True):
        echo("\n" + doc["model"]["inference_note"])


@group.command("fit")
@click.option("--wave", "waves", default=None, help="closed wave slug(s), comma-separated")
@click.option("--outcome", required=True, help="scale id (platform) or column (CSV)")
@click.option("--exposure", default=None,
              help="shift_pattern, or group-level schedule feature(s), comma-separated: weekly_hours, "
                   "overtime_hours, night_hours, night_shifts, duties_24h, quick_returns, short_weekly_rests, "
                   "consecutive_nights, early_starts, weekends_worked, start_time_sd")
@click.option("--covariates", default="", help="comma-separated: wave, language, region, shift_pattern, features")
@click.option("--csv", "csv_file", default=None, type=click.Path(dir_okay=False), help="a CSV file instead")
@click.option("--predictors", default=None, help='CSV: right-hand side, e.g. "Days" or "C(x) + z"')
@click.option("--group", default=None, help="CSV: random-intercept column")
@click.option("--re-formula", "re_formula", default=None, help='CSV: random effects, e.g. "~Days"')
@format_option()
@click.option("--out", default=None, type=click.Path(dir_okay=False))
@refusals(split=True)
def models_fit(waves: str | None, outcome: str, exposure: str | None, covariates: str, csv_file: str | None,
               predictors: str | None, group: str | None, re_formula: str | None, fmt: str,
               out: str | None) -> None:
    """Linear mixed model: released platform model, or the same engine on a CSV file.

    Platform models: score ~ exposure(s) + covariates + (1 | unit pool) over closed waves. A schedule
    feature is a group-level exposure: each response carries its reporting group's released value
    (from the wave's reference window; a group under K has none and its responses are left out), in
    h/week (weekly_hours), h/month (overtime_hours, night_hours) or counts per month; several
    features, comma-separated, are fitted jointly; add shift_pattern to --covariates to adjust for it.
    """
    from ..services.analysis import fit_csv, fit_platform

    if csv_file:
        if waves or exposure:
            raise click.UsageError("--csv goes with --predictors and --group, not --wave/--exposure")
        if not predictors or not group:
            raise click.UsageError("--csv needs --predictors and --group")
        doc = _csv_doc(fit_csv(csv_file, outcome, predictors, group, re_formula))
    else:
        if not waves or not exposure:
            raise click.UsageError("platform models need --wave and --exposure (or use --csv)")
        covs = [c.strip() for c in covariates.split(",") if c.strip()]
        doc = fit_platform([w.strip() for w in waves.split(",") if w.strip()], outcome, exposure, covs).to_dict()
    emit_model(doc, fmt, out, ["df", "p_holm", "p_bh"])
    _inference_note(doc, fmt)


@group.command("did")
@click.option("--waves", default=None, help="closed wave slugs, comma-separated (before and after the pilot)")
@click.option("--pilot", default=None, help="pilot slug")
@click.option("--outcome", required=True, help="scale id (platform) or column (CSV)")
@click.option("--csv", "csv_file", default=None, type=click.Path(dir_okay=False))
@click.option("--unit", default=None, help="CSV: unit column (fixed effect)")
@click.option("--time", "time_col", default=None, help="CSV: period column (fixed effect)")
@click.option("--treated", default=None, help="CSV: 1 for treated units in treated periods")
@click.option("--cluster", default=None, help="CSV: cluster column (default: unit)")
@format_option()
@click.option("--out", default=None, type=click.Path(dir_okay=False))
@refusals(split=True)
def models_did(waves: str | None, pilot: str | None, outcome: str, csv_file: str | None, unit: str | None,
               time_col: str | None, treated: str | None, cluster: str | None, fmt: str, out: str | None) -> None:
    """Difference-in-differences with event study and permutation inference (p floor 1/R)."""
    from ..services.analysis import did_csv, did_platform

    if csv_file:
        if not (unit and time_col and treated):
            raise click.UsageError("--csv needs --unit, --time and --treated")
        doc = _csv_doc(did_csv(csv_file, unit, time_col, treated, outcome, cluster))
    else:
        if not waves or not pilot:
            raise click.UsageError("platform DiD needs --waves and --pilot (or use --csv)")
        doc = did_platform([w.strip() for w in waves.split(",") if w.strip()], pilot, outcome).to_dict()
    emit_model(doc, fmt, out, ["p_value_permutation"])
    _inference_note(doc, fmt)
