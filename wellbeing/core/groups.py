"""Forming a wave's reporting groups (DESIGN.md section 4, rule 6).

A reporting group is a fixed set of officers — pooled units × shift pattern — whose answers are reported
together. Units with fewer than 2K officers on a shift pattern are pooled up the hierarchy (within their
department first, then within their region), never across a region's boundary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UnitCell:
    """Officers of one unit on one shift pattern (``"all"`` while shift patterns are unknown)."""

    unit: str
    department: str
    region: str
    shift_pattern: str
    size: int


@dataclass(frozen=True)
class GroupSpec:
    slug: str           # "<unit-pool>--<shift-pattern>"
    label: str
    units: tuple[str, ...]
    department: str | None   # None when pooled across departments
    region: str
    shift_pattern: str
    size: int


def form_groups(cells: Iterable[UnitCell], k: int, names: Mapping[str, str] | None = None) -> list[GroupSpec]:
    """Pool unit cells into reporting groups of at least ``2 * k`` officers.

    Per region and shift pattern: a unit with ≥ 2K officers is a group of its own; the smaller units of
    a department are pooled (slug ``<department>`` when the pool is the whole department, else
    ``<department>-other``); department pools still below 2K are pooled across the region
    (``<region>-other``); a regional pool still below 2K joins the region's smallest group. A region with
    fewer than 2K officers on a pattern forms one group below 2K (disclosure control then suppresses it).

    Returns groups sorted by slug. Raises ValueError for ``k < 5`` (DESIGN.md rule 7).
    """
    if k < 5:
        raise ValueError("K is at least 5 (DESIGN.md section 4, rule 7)")
    names = dict(names or {})
    need = 2 * k
    by_rp: dict[tuple[str, str], list[UnitCell]] = defaultdict(list)
    for c in cells:
        if c.size > 0:
            by_rp[(c.region, c.shift_pattern)].append(c)
    out: list[GroupSpec] = []
    for (region, pattern), rcells in sorted(by_rp.items()):
        groups: list[dict[str, Any]] = []
        leftovers: list[dict[str, Any]] = []
        by_dept: dict[str, list[UnitCell]] = defaultdict(list)
        for c in rcells:
            by_dept[c.department].append(c)
        for dept, dcells in sorted(by_dept.items()):
            small = [c for c in dcells if c.size < need]
            for c in sorted(dcells, key=lambda c: c.unit):
                if c.size >= need:
                    groups.append({"pool": c.unit, "units": [c.unit], "dept": dept, "size": c.size})
            if small:
                pool: dict[str, Any] = {"pool": dept if len(small) == len(dcells) else f"{dept}-other",
                        "units": sorted(c.unit for c in small), "dept": dept,
                        "size": sum(c.size for c in small)}
                (groups if pool["size"] >= need else leftovers).append(pool)
        if leftovers:
            pool = {"pool": f"{region}-other", "units": sorted(u for p in leftovers for u in p["units"]),
                    "dept": leftovers[0]["dept"] if len(leftovers) == 1 else None,
                    "size": sum(p["size"] for p in leftovers)}
            if len(leftovers) == 1:
                pool["pool"] = leftovers[0]["pool"]
            if pool["size"] >= need or not groups:
                groups.append(pool)
            else:
                target = min(groups, key=lambda g: (g["size"], g["pool"]))
                target["units"] = sorted(target["units"] + pool["units"])
                target["size"] += pool["size"]
                if target["dept"] != pool["dept"]:
                    target["dept"] = None
                target["pool"] = f"{target['pool']}-plus"
        for g in groups:
            label_units = ", ".join(names.get(u, u) for u in g["units"][:4])
            if len(g["units"]) > 4:
                label_units += f" (+{len(g['units']) - 4})"
            out.append(GroupSpec(f"{g['pool']}--{pattern}", f"{label_units} · {pattern}", tuple(g["units"]),
                                 g["dept"], region, pattern, g["size"]))
    return sorted(out, key=lambda g: g.slug)
