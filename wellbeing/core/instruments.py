"""Instrument definitions: loading, validation and scoring.

An instrument is a published questionnaire (items + response sets + scales), defined in one TOML file
(schema: ``docs/instruments.md``). Loading validates everything and raises :class:`InstrumentError`
naming the file, the item or scale, and the field. Scoring follows the instrument's own published rules
(reverse-scored items, minimum answered items, mean or sum × multiplier, bands).

Pure domain code: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

LANGUAGE_STATUSES = ("original", "validated", "provisional", "unavailable")
SLUG_RE = re.compile(r"^[a-z0-9_]+$")


class InstrumentError(ValueError):
    """A definition file is invalid.

    ``str(error)`` is one line: ``<file>: <where>: <field>: <problem>``, e.g.
    ``surveys/cbi.toml: scale 'work': items: unknown item 'w9'``.
    """

    def __init__(self, file: str, where: str, fld: str, problem: str) -> None:
        self.file, self.where, self.field, self.problem = file, where, fld, problem
        parts = [p for p in (file, where, fld) if p]
        super().__init__(": ".join(parts + [problem]))


@dataclass(frozen=True)
class Option:
    value: int | float
    label: Mapping[str, str]


@dataclass(frozen=True)
class ResponseSet:
    id: str
    options: tuple[Option, ...]

    @property
    def values(self) -> tuple[int | float, ...]:
        return tuple(o.value for o in self.options)

    @property
    def min(self) -> int | float:
        return min(self.values)

    @property
    def max(self) -> int | float:
        return max(self.values)


@dataclass(frozen=True)
class Item:
    id: str
    response_set: str
    text: Mapping[str, str]
    reverse: bool = False
    required: bool = True


@dataclass(frozen=True)
class Band:
    id: str
    at: float
    label: Mapping[str, str]
    concern: bool = False
    meaning: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    population: str
    mean: float
    sd: float | None
    n: int | None
    source: str


@dataclass(frozen=True)
class Scale:
    id: str
    name: Mapping[str, str]
    items: tuple[str, ...]
    method: Literal["mean", "sum"]
    min_answered: int
    range: tuple[float, float]
    multiplier: float = 1.0
    precision: int = 0
    higher_is: Literal["worse", "better"] = "worse"
    bounds: Literal["lower", "upper"] = "lower"
    bands: tuple[Band, ...] = ()
    reference: tuple[Reference, ...] = ()

    def band_for(self, score: float) -> Band | None:
        """The band of ``score`` (see ``docs/instruments.md``), or None when the scale has no bands."""
        if not self.bands:
            return None
        if self.bounds == "lower":
            chosen = self.bands[0]
            for band in self.bands:
                if score >= band.at:
                    chosen = band
            return chosen
        for band in self.bands:
            if score <= band.at:
                return band
        return self.bands[-1]


@dataclass(frozen=True)
class LanguageStatus:
    status: str
    source: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A validated instrument definition (frozen)."""

    id: str
    version: str
    kind: Literal["scale", "context"]
    name: Mapping[str, str]
    citation: str
    licence: str
    languages: Mapping[str, LanguageStatus]
    response_sets: Mapping[str, ResponseSet]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    structure_only: bool = False
    licence_holder: str | None = None
    refers_to: Mapping[str, str] = field(default_factory=dict)
    instructions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    path: str = ""

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 (hex) of the definition's source text: the identity of a snapshot (computed once per
        object: survey pages key their caches on it)."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def available_languages(self) -> tuple[str, ...]:
        """Languages in which the items can be shown (status other than ``unavailable``)."""
        if self.structure_only:
            return ()
        return tuple(k for k, v in self.languages.items() if v.status != "unavailable")

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def scale(self, scale_id: str) -> Scale:
        for sc in self.scales:
            if sc.id == scale_id:
                return sc
        raise KeyError(scale_id)


@dataclass(frozen=True)
class ScaleScore:
    """One scale score: ``value`` in the scale's units (e.g. 0–100 points), its band, items used."""

    scale_id: str
    value: float
    band: str | None
    concern: bool
    n_answered: int


# --------------------------------------------------------------------------------------- loading


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, fld: str, problem: str) -> InstrumentError:
        return InstrumentError(self.file, where, fld, problem)

    def get(self, table: Mapping[str, Any], key: str, typ: type | tuple[type, ...], where: str,
            default: Any = ..., ) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(where, key, "missing")
            return default
        value = table[key]
        if isinstance(value, bool) and typ in (int, float, (int, float)):
            raise self.fail(where, key, f"expected a number, got {value!r}")
        if not isinstance(value, typ):
            name = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
            raise self.fail(where, key, f"expected {name}, got {value!r}")
        return value

    def texts(self, table: Mapping[str, Any], key: str, where: str, default: Any = ...) -> dict[str, str]:
        value = self.get(table, key, dict, where, default)
        for lang, text in value.items():
            if not isinstance(text, str) or not text.strip():
                raise self.fail(where, f"{key}.{lang}", "expected non-empty text")
        return dict(value)

    def slug(self, table: Mapping[str, Any], key: str, where: str) -> str:
        value = self.get(table, key, str, where)
        if not SLUG_RE.match(value):
            raise self.fail(where, key, f"{value!r} is not a slug ([a-z0-9_]+)")
        return value


def parse_instrument(source: str, file: str = "<string>") -> Instrument:
    """Parse and validate one instrument definition (TOML text).

    Raises
    ------
    InstrumentError
        naming ``file``, the item or scale, and the field.
    """
    c = _Checker(file)
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise c.fail("", "", f"not valid TOML ({exc})") from None

    iid = c.slug(data, "id", "")
    version = str(c.get(data, "version", (str, int, float), ""))
    kind = c.get(data, "kind", str, "", "scale")
    if kind not in ("scale", "context"):
        raise c.fail("", "kind", f"{kind!r} is not 'scale' or 'context'")
    structure_only = c.get(data, "structure_only", bool, "", False)
    name = c.texts(data, "name", "")
    citation = c.get(data, "citation", str, "")
    licence = c.get(data, "licence", str, "")
    licence_holder = c.get(data, "licence_holder", str, "", None)

    languages: dict[str, LanguageStatus] = {}
    for lang, spec in c.get(data, "languages", dict, "").items():
        where = f"language '{lang}'"
        if not isinstance(spec, dict):
            raise c.fail(where, "", "expected a table with 'status'")
        status = c.get(spec, "status", str, where)
        if status not in LANGUAGE_STATUSES:
            raise c.fail(where, "status", f"{status!r} is not one of {', '.join(LANGUAGE_STATUSES)}")
        src = c.get(spec, "source", str, where, None)
        if status == "validated" and not src:
            raise c.fail(where, "source", "missing (a validated translation names its source)")
        languages[lang] = LanguageStatus(status, src)
    if not languages:
        raise c.fail("", "languages", "no language declared")
    available = [k for k, v in languages.items() if v.status != "unavailable"]

    def need_langs(texts: Mapping[str, str], where: str, fld: str) -> None:
        if structure_only:
            return
        for lang in available:
            if lang not in texts:
                raise c.fail(where, f"{fld}.{lang}", "missing text for an available language")

    need_langs(name, "", "name")
    refers_to = c.texts(data, "refers_to", "", {})
    instructions = c.texts(data, "instructions", "", {})

    response_sets: dict[str, ResponseSet] = {}
    for rid, spec in c.get(data, "response_sets", dict, "", {}).items():
        where = f"response set '{rid}'"
        if not SLUG_RE.match(rid):
            raise c.fail(where, "", "id is not a slug ([a-z0-9_]+)")
        opts_raw = c.get(spec, "options", list, where)
        if len(opts_raw) < 2:
            raise c.fail(where, "options", "needs at least two options")
        options = []
        for i, o in enumerate(opts_raw, 1):
            ow = f"{where}, option {i}"
            if not isinstance(o, dict):
                raise c.fail(ow, "", "expected a table")
            val = c.get(o, "value", (int, float), ow)
            label = c.texts(o, "label", ow)
            need_langs(label, ow, "label")
            options.append(Option(val, label))
        vals = [o.value for o in options]
        if len(set(vals)) != len(vals):
            raise c.fail(where, "options", "duplicate values")
        response_sets[rid] = ResponseSet(rid, tuple(options))

    items: list[Item] = []
    seen: set[str] = set()
    for i, spec in enumerate(c.get(data, "items", list, ""), 1):
        if not isinstance(spec, dict):
            raise c.fail(f"item {i}", "", "expected a table")
        item_id = c.slug(spec, "id", f"item {i}")
        where = f"item '{item_id}'"
        if item_id in seen:
            raise c.fail(where, "id", "duplicate item id")
        seen.add(item_id)
        rs = c.get(spec, "response_set", str, where)
        if rs not in response_sets:
            raise c.fail(where, "response_set", f"unknown response set '{rs}'")
        text = c.texts(spec, "text", where, {})
        need_langs(text, where, "text")
        items.append(
            Item(item_id, rs, text, c.get(spec, "reverse", bool, where, False),
                 c.get(spec, "required", bool, where, True))
        )
    if not items:
        raise c.fail("", "items", "no items")
    item_ids = {it.id for it in items}
    item_by_id = {it.id: it for it in items}

    scales: list[Scale] = []
    for i, spec in enumerate(c.get(data, "scales", list, "", []), 1):
        if not isinstance(spec, dict):
            raise c.fail(f"scale {i}", "", "expected a table")
        sid = c.slug(spec, "id", f"scale {i}")
        where = f"scale '{sid}'"
        if any(s.id == sid for s in scales):
            raise c.fail(where, "id", "duplicate scale id")
        sname = c.texts(spec, "name", where)
        need_langs(sname, where, "name")
        sitems = c.get(spec, "items", list, where)
        if not sitems:
            raise c.fail(where, "items", "no items")
        for it in sitems:
            if it not in item_ids:
                raise c.fail(where, "items", f"unknown item '{it}'")
        method = c.get(spec, "method", str, where)
        if method not in ("mean", "sum"):
            raise c.fail(where, "method", f"{method!r} is not 'mean' or 'sum'")
        min_answered = c.get(spec, "min_answered", int, where)
        if not 1 <= min_answered <= len(sitems):
            raise c.fail(where, "min_answered", f"{min_answered} is not between 1 and {len(sitems)}")
        if method == "sum" and min_answered != len(sitems):
            raise c.fail(where, "min_answered", "a sum score needs every item answered")
        rng = c.get(spec, "range", list, where)
        if len(rng) != 2 or not all(isinstance(x, (int, float)) for x in rng) or rng[0] >= rng[1]:
            raise c.fail(where, "range", f"{rng!r} is not [low, high]")
        multiplier = float(c.get(spec, "multiplier", (int, float), where, 1))
        # The reachable range must sit inside the declared one.
        lows, highs = [], []
        for it in sitems:
            rset = response_sets[item_by_id[it].response_set]
            lows.append(rset.min)
            highs.append(rset.max)
        agg = sum if method == "sum" else (lambda xs: sum(xs) / len(xs))
        reach = (min(lows) * multiplier, max(highs) * multiplier) if method == "mean" else (
            agg(lows) * multiplier, agg(highs) * multiplier)
        if reach[0] < rng[0] or reach[1] > rng[1]:
            raise c.fail(where, "range", f"scores can reach {reach[0]:g}–{reach[1]:g}, outside {rng}")
        precision = c.get(spec, "precision", int, where, 0)
        higher_is = c.get(spec, "higher_is", str, where, "worse")
        if higher_is not in ("worse", "better"):
            raise c.fail(where, "higher_is", f"{higher_is!r} is not 'worse' or 'better'")
        bounds = c.get(spec, "bounds", str, where, "lower")
        if bounds not in ("lower", "upper"):
            raise c.fail(where, "bounds", f"{bounds!r} is not 'lower' or 'upper'")
        bands = []
        for j, b in enumerate(c.get(spec, "bands", list, where, []), 1):
            bw = f"{where}, band {j}"
            if not isinstance(b, dict):
                raise c.fail(bw, "", "expected a table")
            blabel = c.texts(b, "label", bw)
            need_langs(blabel, bw, "label")
            meaning = c.texts(b, "meaning", bw, {})
            bands.append(Band(c.slug(b, "id", bw), float(c.get(b, "at", (int, float), bw)), blabel,
                              c.get(b, "concern", bool, bw, False), meaning))
        if bands:
            ats = [b.at for b in bands]
            if ats != sorted(ats) or len(set(ats)) != len(ats):
                raise c.fail(where, "bands", "'at' values must be strictly ascending")
            if bounds == "lower" and ats[0] != rng[0]:
                raise c.fail(where, "bands", f"the first band must start at the range's minimum {rng[0]}")
            if bounds == "upper" and ats[-1] != rng[1]:
                raise c.fail(where, "bands", f"the last band must end at the range's maximum {rng[1]}")
        refs = []
        for j, r in enumerate(c.get(spec, "reference", list, where, []), 1):
            rw = f"{where}, reference {j}"
            if not isinstance(r, dict):
                raise c.fail(rw, "", "expected a table")
            sd = c.get(r, "sd", (int, float), rw, None)
            n = c.get(r, "n", int, rw, None)
            refs.append(Reference(c.get(r, "population", str, rw), float(c.get(r, "mean", (int, float), rw)),
                                  None if sd is None else float(sd), n, c.get(r, "source", str, rw)))
        scales.append(Scale(sid, sname, tuple(sitems), method, min_answered, (float(rng[0]), float(rng[1])),
                            multiplier, precision, higher_is, bounds, tuple(bands), tuple(refs)))
    if kind == "scale" and not scales:
        raise c.fail("", "scales", "a scored instrument needs at least one scale")

    return Instrument(
        id=iid, version=version, kind=kind, name=name, citation=citation, licence=licence,
        languages=languages, response_sets=response_sets, items=tuple(items), scales=tuple(scales),
        structure_only=structure_only, licence_holder=licence_holder, refers_to=refers_to,
        instructions=instructions, source=source, path=file,
    )


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate one definition file. Raises :class:`InstrumentError` (also for unreadable files)."""
    p = Path(path)
    try:
        source = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentError(str(p), "", "", f"cannot read ({exc})") from None
    return parse_instrument(source, str(p))


def load_catalogue(folders: Iterable[str | Path]) -> dict[str, Instrument]:
    """Load every ``*.toml`` in ``folders``, in order; a later folder's instrument replaces an earlier
    one with the same ``id`` (``instance/surveys/`` goes last, so licensed definitions override shipped
    ones). Missing folders are skipped. Raises :class:`InstrumentError` on the first invalid file.

    Returns a dict ``id -> Instrument`` sorted by id.
    """
    catalogue: dict[str, Instrument] = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        seen_here: dict[str, Path] = {}
        for path in sorted(folder.glob("*.toml")):
            inst = load_instrument(path)
            if inst.id in seen_here:
                raise InstrumentError(str(path), "", "id",
                                      f"'{inst.id}' is also defined in {seen_here[inst.id].name}")
            seen_here[inst.id] = path
            if inst.id in catalogue:
                log.info("instrument %s from %s overrides %s", inst.id, path, catalogue[inst.id].path)
            catalogue[inst.id] = inst
    return dict(sorted(catalogue.items()))


# --------------------------------------------------------------------------------------- scoring


class AnswerError(ValueError):
    """An answer is not allowed: ``item`` names the item, the message says why."""

    def __init__(self, item: str, problem: str) -> None:
        self.item = item
        super().__init__(f"item '{item}': {problem}")


def validate_answers(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, float | None]:
    """Check raw answers against the response sets.

    Parameters
    ----------
    answers : mapping item id -> value (a response-set value, or None / missing for unanswered)

    Returns
    -------
    dict item id -> value (float) or None, for every item of the instrument.

    Raises
    ------
    AnswerError
        for an unknown item or a value outside the item's response set.
    """
    known = {it.id: it for it in instrument.items}
    for key in answers:
        if key not in known:
            raise AnswerError(key, "unknown item")
    out: dict[str, float | None] = {}
    for it in instrument.items:
        value = answers.get(it.id)
        if value is None or value == "":
            out[it.id] = None
            continue
        try:
            num = float(value)
        except (TypeError, ValueError):
            raise AnswerError(it.id, f"{value!r} is not a number") from None
        if num not in instrument.response_sets[it.response_set].values:
            raise AnswerError(it.id, f"{value!r} is not one of the response set's values")
        out[it.id] = num
    return out


def item_score(instrument: Instrument, item_id: str, value: float) -> float:
    """The scored value of one answer: reverse-scored items map ``v`` to ``min + max - v`` of their
    response set (e.g. CBI 100 ↔ 0, 75 ↔ 25)."""
    it = instrument.item(item_id)
    if not it.reverse:
        return value
    rs = instrument.response_sets[it.response_set]
    return rs.min + rs.max - value


def score(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, ScaleScore | None]:
    """Score one response set of answers.

    A scale's score is the mean of its answered items (``method = "mean"``) or their sum (``"sum"``,
    all items needed), times ``multiplier``, after reverse scoring; a scale with fewer than
    ``min_answered`` answered items gets no score (None). Sources of each instrument's rule are in its
    file (e.g. CBI: Kristensen et al. 2005 — mean of answered items, personal ≥ 3, work ≥ 4, client ≥ 3;
    WHO-5: raw sum × 4).

    Returns
    -------
    dict scale id (without the instrument prefix) -> :class:`ScaleScore` or None.

    Raises
    ------
    AnswerError
        for an unknown item or a value outside the response set.
    """
    values = validate_answers(instrument, answers)
    result: dict[str, ScaleScore | None] = {}
    for sc in instrument.scales:
        scored = [item_score(instrument, i, v) for i in sc.items if (v := values[i]) is not None]
        if len(scored) < sc.min_answered:
            result[sc.id] = None
            continue
        raw = sum(scored) if sc.method == "sum" else sum(scored) / len(scored)
        value = raw * sc.multiplier
        band = sc.band_for(value)
        result[sc.id] = ScaleScore(sc.id, value, band.id if band else None,
                                   bool(band and band.concern), len(scored))
    return result
