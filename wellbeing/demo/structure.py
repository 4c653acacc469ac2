"""The demonstration pilot's organisation: Kazakhstan's 17 regions and 3 cities of republican
significance, 50 departments and 150 units with headcounts, each unit on one shift pattern.

Pure and deterministic for a seed: :func:`build` returns the same structure (names, headcounts,
shift patterns, random intercepts) every time, so tests and later analyses can recompute what the seed
planted. Until the roster arrives, the unit's shift pattern lives here only (the demo's roster will
take it from here).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from . import model

# slug, name, kind ("region" or "city"), centre or districts
REGIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("abai", "Abai region", "region", ("Semey",)),
    ("akm", "Akmola region", "region", ("Kokshetau",)),
    ("akt", "Aktobe region", "region", ("Aktobe",)),
    ("alr", "Almaty region", "region", ("Konaev",)),
    ("atr", "Atyrau region", "region", ("Atyrau",)),
    ("ekz", "East Kazakhstan region", "region", ("Oskemen",)),
    ("jmb", "Jambyl region", "region", ("Taraz",)),
    ("jts", "Jetisu region", "region", ("Taldykorgan",)),
    ("wkz", "West Kazakhstan region", "region", ("Oral",)),
    ("krg", "Karaganda region", "region", ("Karaganda",)),
    ("kst", "Kostanay region", "region", ("Kostanay",)),
    ("kzl", "Kyzylorda region", "region", ("Kyzylorda",)),
    ("mng", "Mangystau region", "region", ("Aktau",)),
    ("pvl", "Pavlodar region", "region", ("Pavlodar",)),
    ("nkz", "North Kazakhstan region", "region", ("Petropavl",)),
    ("trk", "Turkistan region", "region", ("Turkistan",)),
    ("ult", "Ulytau region", "region", ("Zhezkazgan",)),
    ("ast", "Astana city", "city", ("Almaty district", "Baikonyr district", "Yesil district")),
    ("alm", "Almaty city", "city", ("Almaly district", "Auezov district", "Bostandyk district")),
    ("shm", "Shymkent city", "city", ("Abai district", "Al-Farabi district", "Enbekshi district")),
)
REGIONS_WITH_THREE_DEPARTMENTS = 10   # of the 17 regions (cities always have three): 50 departments

# Unit types: name, headcount range, shift patterns they work (chosen with equal chance).
UNIT_TYPES: tuple[tuple[str, tuple[int, int], tuple[str, ...]], ...] = (
    ("Patrol police battalion", (45, 120), ("pitman-12h", "24-72", "rotating-8h")),
    ("Duty unit", (18, 40), ("24-72", "24-48")),
    ("District inspectors", (25, 70), ("fixed-8h",)),
    ("Criminal investigation", (20, 55), ("fixed-8h", "24-48")),
    ("Road police", (25, 70), ("rotating-8h", "pitman-12h", "24-72")),
    ("Juvenile inspectors", (12, 30), ("fixed-8h",)),
)
UNITS_PER_DEPARTMENT = 3


@dataclass(frozen=True)
class DemoUnit:
    slug: str
    name: str
    level: str                 # region, department, unit
    parent: str | None
    headcount: int | None = None
    pattern: str | None = None          # units only
    intercept: float = 0.0              # a_r for regions, a_u for units (model.SD_REGION, SD_UNIT)
    region: str | None = None


@dataclass(frozen=True)
class Structure:
    units: tuple[DemoUnit, ...]

    def by_slug(self) -> dict[str, DemoUnit]:
        return {u.slug: u for u in self.units}

    def leaves(self) -> list[DemoUnit]:
        return [u for u in self.units if u.level == "unit"]


def build(seed: int) -> Structure:
    """The organisation for ``seed`` (deterministic)."""
    rng = np.random.default_rng([seed, 0])
    plain = [r for r in REGIONS if r[2] == "region"]
    three = set(rng.choice(len(plain), REGIONS_WITH_THREE_DEPARTMENTS, replace=False).tolist())
    out: list[DemoUnit] = []
    for rslug, rname, kind, places in REGIONS:
        out.append(DemoUnit(rslug, rname, "region", None, intercept=float(rng.normal(0, model.SD_REGION)),
                            region=rslug))
        if kind == "city":
            depts = [f"{p} police department" for p in places]
        else:
            n = 3 if plain.index((rslug, rname, kind, places)) in three else 2
            depts = [f"{places[0]} city police department"] + [f"District police department {k}"
                                                               for k in range(1, n)]
        for d, dname in enumerate(depts, start=1):
            dslug = f"{rslug}-d{d}"
            out.append(DemoUnit(dslug, dname, "department", rslug, region=rslug))
            types = rng.choice(len(UNIT_TYPES), UNITS_PER_DEPARTMENT, replace=False)
            for k, t in enumerate(sorted(types.tolist()), start=1):
                tname, (lo, hi), patterns = UNIT_TYPES[t]
                out.append(DemoUnit(f"{dslug}-u{k}", tname, "unit", dslug,
                                    headcount=int(rng.integers(lo, hi + 1)),
                                    pattern=str(patterns[int(rng.integers(len(patterns)))]),
                                    intercept=float(rng.normal(0, model.SD_UNIT)), region=rslug))
    return Structure(tuple(out))


def units_csv(structure: Structure) -> bytes:
    """The structure as a units file (``unit_id,name,parent_id,level,headcount``) for ``import_units``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["unit_id", "name", "parent_id", "level", "headcount"])
    for u in structure.units:
        w.writerow([u.slug, u.name, u.parent or "", u.level, "" if u.headcount is None else u.headcount])
    return buf.getvalue().encode("utf-8")
