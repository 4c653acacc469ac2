"""Finest cells and margin cells of one released table, with their linear relations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Marker of an aggregated dimension in a margin row ("all values").
ALL = "*"

@dataclass
class Cells:
    """Finest cells and margin cells of one release, with their linear relations."""

    dims: tuple[str, ...]
    levels: list[tuple[str, ...]]
    level_of: np.ndarray  # level index per cell
    keys: list[tuple]  # one value per dim, ALL where aggregated
    members: list[np.ndarray]  # finest-cell indices per cell
    n: np.ndarray
    total: np.ndarray  # sum of scores
    high: np.ndarray | None  # n_high
    relations: list[tuple[int, np.ndarray]]  # (parent, children)
    relations_of: list[list[int]]  # relation ids each cell takes part in
    n_finest: int



def build_cells(df: pd.DataFrame, dims: tuple[str, ...], levels: list[tuple[str, ...]]) -> Cells:
    n_f = len(df)
    fn = df["n"].to_numpy(dtype=np.int64)
    fs = df["sum"].fillna(0).to_numpy(dtype=float)
    fh = df["n_high"].to_numpy(dtype=np.int64) if "n_high" in df.columns else None
    fkeys = list(df[list(dims)].itertuples(index=False, name=None))
    level_of: list[int] = []
    keys: list[tuple] = []
    members: list[np.ndarray] = []
    index_of: list[dict[tuple, int]] = []
    for li, lv in enumerate(levels):
        pos = [dims.index(d) for d in lv]
        groups: dict[tuple, list[int]] = {}
        for j, key in enumerate(fkeys):
            groups.setdefault(tuple(key[p] for p in pos), []).append(j)
        idx = {}
        for proj, mem in groups.items():
            full = [ALL] * len(dims)
            for p, v in zip(pos, proj, strict=True):
                full[p] = v
            idx[proj] = len(keys)
            level_of.append(li)
            keys.append(tuple(full))
            members.append(np.array(mem, dtype=int))
        index_of.append(idx)
    n = np.array([fn[m].sum() for m in members], dtype=np.int64)
    total = np.array([fs[m].sum() for m in members], dtype=float)
    high = None if fh is None else np.array([fh[m].sum() for m in members], dtype=np.int64)
    # Relations: every cell of a coarser level is the disjoint union of the cells of each finer
    # level whose dimensions include it.
    relations: list[tuple[int, np.ndarray]] = []
    for la, lva in enumerate(levels):
        for lb, lvb in enumerate(levels):
            if not set(lva) < set(lvb):
                continue
            pos_in_b = [lvb.index(d) for d in lva]
            children: dict[tuple, list[int]] = {}
            for proj_b, cell_b in index_of[lb].items():
                children.setdefault(tuple(proj_b[p] for p in pos_in_b), []).append(cell_b)
            for proj_a, cell_a in index_of[la].items():
                relations.append((cell_a, np.array(children[proj_a], dtype=int)))
    relations_of: list[list[int]] = [[] for _ in keys]
    for r, (parent, kids) in enumerate(relations):
        relations_of[parent].append(r)
        for c in kids:
            relations_of[c].append(r)
    return Cells(
        dims=dims,
        levels=levels,
        level_of=np.array(level_of, dtype=int),
        keys=keys,
        members=members,
        n=n,
        total=total,
        high=high,
        relations=relations,
        relations_of=relations_of,
        n_finest=n_f,
    )

