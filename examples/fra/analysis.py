"""FRA dispatchers case study: reliability and response-level models on the imported wave.

Run after the import of docs/case-study-fra.md (same instance folder / database)::

    WELLBEING_INSTANCE_PATH=$PWD/instance .venv/bin/python examples/fra/analysis.py [--wave fra]

What it does, all inside the platform (nothing is exported but model terms and reliability):

1. Reliability of the stressor scale (14 items) and of the fatigue scale: the platform's released
   reliability table (``wellbeing.services.results.wave_reliability``) and the unrounded values of
   ``wellbeing.core.psychometrics.reliability`` on complete cases, to compare with R's psych package
   (values pinned in tests/core/test_psychometrics.py: alpha 0.8554046771, omega 0.8570795958).
2. Models at response level (statsmodels through ``wellbeing.core.stats``) of "mentally drained" and
   "physically drained" (1-4, higher = more often drained):

   a. on job schedule (the reporting group; first shift is the reference);
   b. on the banded self-reported schedule features (night hours per week; weekly hours over 40)
      and age band, for the dispatchers who reported a week. Mean shift length is left out: a
      mean shift over 8 h and a week over 40 h are almost the same dispatchers (printed below).

   The 443 dispatchers are independent respondents (the file names no railroad or office), so
   the standard errors are heteroskedasticity-robust: ``fit_ols_cluster`` with every response its
   own cluster is CR1 with singleton clusters, i.e. HC1. A random intercept per job schedule
   (``fit_mixed``) is shown for (b) as a check; with 5 groups its variance is imprecise (warned).
   Each model passes rule 12 (``check_model_release``: >= 10 residual df, every factor level >= K).

Output: plain text on stdout (the logging module, message only), pasted into docs/case-study-fra.md.
"""

from __future__ import annotations

import argparse
import logging
import sys

import pandas as pd

log = logging.getLogger("fra-analysis")

#: Band codes of surveys/selfreport_schedule.toml (1 = first band of wellbeing.core.schedules.bands).
NIGHT = {"1": "0 h", "2": "1-8 h", "3": "9-16 h", "4": ">16 h"}
AGE = {"1": "20-29", "2": "30-39", "3": "40-49", "4": "50-59", "5": "60+"}
SCHEDULES = ["first-shift", "second-shift", "third-shift", "relief", "extraboard"]


def response_frame(wave, scale_id: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """One row per response with a score on ``scale_id``: ``value`` (score, 1-4), ``group`` (job
    schedule slug), ``night`` (night-hours band label), ``long_shift`` (mean shift > 8 h, 0/1),
    ``over_40`` (weekly hours > 40, 0/1), ``age`` (age band label); schedule columns are missing for
    responses without a reported week. Rows come in random order (random ids)."""
    from wellbeing.services.results import score_rows, wave_scales

    info = next(s for s in wave_scales(wave) if s.scale_id == scale_id)
    df = score_rows(wave, info, ["night_hours_band", "shift_length_band", "weekly_hours_band", "age_band"])
    out = pd.DataFrame({"value": df["value"], "group": df["group"]})
    # job schedule as a categorical whose first level (first shift) is the reference category
    out["schedule"] = pd.Categorical(df["group"], categories=SCHEDULES)
    out["night"] = df["night_hours_band"].map(NIGHT)
    reported = df["weekly_hours_band"] != "missing"
    out["long_shift"] = (df["shift_length_band"].isin(["2", "3", "4"])).astype(float).where(reported)
    out["over_40"] = (df["weekly_hours_band"].isin(["2", "3", "4"])).astype(float).where(reported)
    out["age"] = df["age_band"].map(AGE)
    out["rid"] = range(len(out))  # a cluster per response (HC1); not an identifier of anyone
    return out


def show_model(title: str, result, k: int) -> None:  # type: ignore[no-untyped-def]
    from wellbeing.core.disclosure import check_model_release

    info = result.info
    check = check_model_release(info.get("df_resid", info["n"] - len(result.terms)),
                                info.get("factor_levels"), k)
    log.info("\n%s\n  %s, n = %d, method %s; rule 12: %s", title, info["formula"], info["n"], info["method"],
             "released" if check.released else "REFUSED: " + "; ".join(check.problems))
    for w in info["warnings"]:
        log.info("  warning: %s", w)
    if not check.released:
        return
    t = result.terms
    log.info("  %-34s %8s %8s %17s %8s", "term", "estimate", "std_err", "95% CI", "p")
    for _, r in t.iterrows():
        log.info("  %-34s %8.3f %8.3f   [%6.3f, %6.3f] %8.4f", r["term"], r["estimate"], r["std_err"],
                 r["ci_low"], r["ci_high"], r["p_value"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="fra")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for noisy in ("wellbeing", "alembic"):  # model warnings are printed with each model
        logging.getLogger(noisy).setLevel(logging.ERROR)

    from wellbeing import create_app
    from wellbeing.core.psychometrics import reliability
    from wellbeing.core.stats.mixed import fit_mixed
    from wellbeing.core.stats.robust import fit_ols_cluster
    from wellbeing.services.results import item_frame, wave_reliability, wave_scales
    from wellbeing.services.waves import get_wave

    app = create_app()
    with app.app_context():
        wave = get_wave(args.wave)
        if str(wave.status) != "closed":
            log.info("wave %s is %s: close it first (results and models only for closed waves)",
                     wave.slug, wave.status)
            return 1
        log.info("== Reliability (platform release: wave_reliability) ==")
        rel = wave_reliability(wave)
        rel = rel[rel["language"] == "all"]
        log.info(rel[["scale", "n", "alpha", "ci_low", "ci_high", "omega", "n_flagged", "flagged_items",
                      "note"]].to_string(index=False))
        log.info("\n== Unrounded, complete cases (compare with R psych, tests/core/test_psychometrics.py) ==")
        for info in wave_scales(wave):
            if len(info.scale.items) < 2:
                continue
            items = item_frame(wave, info.instrument)[list(info.scale.items)].astype(float)
            r = reliability(items).iloc[0]
            log.info("%-28s alpha %.10f  Feldt 95%% CI [%.10f, %.10f]  omega %.5f  n %d  k %d",
                     info.scale_id, r["alpha"], r["ci_low"], r["ci_high"], r["omega"], r["n"], r["k"])

        k = wave.min_cell
        log.info("\n== Models (response level; 1-4 scale points) ==")
        for scale_id in ("fra_dispatchers.mentally_drained", "fra_dispatchers.physically_drained"):
            df = response_frame(wave, scale_id)
            show_model(f"[{scale_id}] (a) on job schedule, HC1 standard errors",
                       fit_ols_cluster(df, "value",
                                       "C(schedule)", "rid"), k)
            reported = df.dropna(subset=["night", "long_shift", "over_40", "age"])
            rhs = "C(night, Treatment('0 h')) + over_40 + C(age, Treatment('50-59'))"
            show_model(f"[{scale_id}] (b) on self-reported schedule bands and age, HC1 standard errors",
                       fit_ols_cluster(reported, "value", rhs, "rid"), k)
            if scale_id.endswith("mentally_drained"):
                show_model(f"[{scale_id}] (b') the same with a random intercept per job schedule",
                           fit_mixed(reported, "value", rhs, "group"), k)
        df = response_frame(wave, "fra_dispatchers.mentally_drained").dropna(subset=["over_40"])
        log.info("\nAmong the %d who reported a week: night-hours bands %s", len(df),
                 df["night"].value_counts().sort_index().to_dict())
        log.info("mean shift > 8 h by week > 40 h:\n%s",
                 pd.crosstab(df["long_shift"], df["over_40"]).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
