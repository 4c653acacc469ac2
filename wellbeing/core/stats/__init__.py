"""Models linking shift schedules to burnout, and pilot evaluation.

Pure functions (pandas in, :class:`~wellbeing.core.stats.result.ModelResult` out), no Flask, no
database. Every model returns a tidy term table with the columns ``term, estimate, std_err, ci_low,
ci_high, p_value`` and a model-level ``info`` dict. Every warning raised while fitting is recorded
in ``info["warnings"]`` and logged — none is swallowed. Checked against R (lme4 1.1-31) in
``tests/core/test_stats.py``.

Modules
-------
* :mod:`~wellbeing.core.stats.result` — :class:`ModelResult` (term table, ``info``, extra tables)
  and its JSON form (``flask models fit``, CLI.md);
* :mod:`~wellbeing.core.stats.formula` — formula columns, complete rows, column quoting for patsy,
  and a model's design without fitting it (release check, DESIGN.md section 4 rule 12);
* :mod:`~wellbeing.core.stats.recording` — warnings raised while fitting, recorded and logged;
* :mod:`~wellbeing.core.stats.intervals` — *t* intervals and p-values on given df;
* :mod:`~wellbeing.core.stats.mixed_strategy` — the documented fitting strategy of the mixed model
  (lme4's profiled deviance, then lbfgs, Nelder–Mead, Powell), ``ModelRefused``, lme4's
  singularity test;
* :mod:`~wellbeing.core.stats.mixed` — :func:`fit_mixed` (random intercept per unit pool, optional
  random slopes; lme4's SEs, between-within df, statsmodels issue 10239 guarded) and
  :func:`icc_null`;
* :mod:`~wellbeing.core.stats.marginal` — estimated marginal means per level of a factor;
* :mod:`~wellbeing.core.stats.robust` — cluster-robust (CR1) OLS and GEE as robustness checks;
* :mod:`~wellbeing.core.stats.multitest` — Holm and Benjamini–Hochberg, method named;
* :mod:`~wellbeing.core.stats.did` — difference-in-differences with unit and time fixed effects,
  event study, the ``flask models did`` report, repeated cross-sections;
* :mod:`~wellbeing.core.stats.permutation` — studentised permutation (placebo) inference for a
  pilot in one region (:mod:`wellbeing.core.pilot_inference`; valid with unequal region sizes).
"""
