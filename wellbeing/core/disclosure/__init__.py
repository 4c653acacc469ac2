"""Disclosure control for released tables (DESIGN.md section 4, rules 7-12).

Pure functions, DataFrame in and DataFrame out; no Flask, no database. The package is the one gate:
its modules are public and import one another without a circle (``rounding`` <- ``cells``, ``lp``
<- ``suppression`` <- ``tables``; ``overlap``, ``models`` on ``rounding``), and this ``__init__``
re-exports the public API.

Public API
----------
round_half_away
    Rounding used for every released number (rule 10).
ScaleSpec
    Range ``[lo, hi]``, precision and quarter-width of one scale.
release_table
    Minimum cell K, share rule, floor/ceiling ("pin") rule, complementary suppression and the
    LP auditor over a hierarchy with crossed margins (rules 7, 8, 10, 11).
audit_release
    The auditor alone, run against any released table (rule 8).
overlap_conflicts, refuse_overlapping
    The overlap rule for filters (rule 9).
check_model_release
    Residual degrees of freedom and factor-level sizes of a model (rule 12).

References
----------
Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt, E. S., Spicer, K.,
de Wolf, P.-P. (2012). *Statistical Disclosure Control*. Wiley. Chapter 4 (magnitude tables:
primary and secondary/complementary suppression, the "audit" of a suppression pattern).

Fellegi, I. P. (1972). On the question of statistical confidentiality. *JASA* 67(337), 7-18.

Cox, L. H. (1980). Suppression methodology and statistical disclosure control. *JASA* 75(370),
377-385 (the linear-programming attacker on a suppressed table).
"""

from wellbeing.core.disclosure.cells import ALL
from wellbeing.core.disclosure.models import ModelCheck, check_model_release
from wellbeing.core.disclosure.overlap import overlap_conflicts, overlap_ok, refuse_overlapping
from wellbeing.core.disclosure.rounding import MIN_K, REASONS, ScaleSpec, check_k, round_half_away
from wellbeing.core.disclosure.suppression import PRIMARY_REASONS
from wellbeing.core.disclosure.tables import RELEASE_COLUMNS, audit_release, release_table

__all__ = [
    "ALL",
    "MIN_K",
    "PRIMARY_REASONS",
    "REASONS",
    "RELEASE_COLUMNS",
    "ModelCheck",
    "ScaleSpec",
    "audit_release",
    "check_k",
    "check_model_release",
    "overlap_conflicts",
    "overlap_ok",
    "refuse_overlapping",
    "release_table",
    "round_half_away",
]
