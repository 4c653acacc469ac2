"""The instrument catalogue of this deployment and the snapshots waves store."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from flask import current_app

from ..config import PROJECT_ROOT
from ..core.instruments import Instrument, load_catalogue, parse_instrument
from ..extensions import db
from ..models import InstrumentSnapshot, WaveInstrument


def catalogue_folders() -> list[Path]:
    """Shipped ``surveys/``, then ``SURVEYS_PATHS``, then ``<instance>/surveys`` (which wins)."""
    extra = [Path(p) for p in current_app.config.get("SURVEYS_PATHS") or []]
    return [PROJECT_ROOT / "surveys", *extra, Path(current_app.instance_path) / "surveys"]


def get_catalogue() -> dict[str, Instrument]:
    """The validated catalogue (id -> Instrument). Raises InstrumentError on an invalid file."""
    return load_catalogue(catalogue_folders())


def snapshot(instrument: Instrument) -> InstrumentSnapshot:
    """The stored snapshot of ``instrument`` (content hash + copy), created if new. Not committed."""
    found = db.session.execute(
        db.select(InstrumentSnapshot).filter_by(content_hash=instrument.content_hash)
    ).scalar_one_or_none()
    if found is not None:
        return found
    snap = InstrumentSnapshot(instrument_id=instrument.id, version=instrument.version,
                              content_hash=instrument.content_hash, source=instrument.source)
    db.session.add(snap)
    db.session.flush()
    return snap


def instrument_from_snapshot(snap: InstrumentSnapshot) -> Instrument:
    """The instrument exactly as it was when the snapshot was taken.

    Parsed once per process for each distinct source text (an LRU cache of 64 entries keyed by the
    text itself, so a changed row can never be served a stale parse): parsing and validating the TOML
    was most of a survey page's CPU (issue 16's profile: 57 %). ``Instrument`` is frozen, so sharing
    one object between requests is safe.
    """
    return _parse_snapshot(snap.source, f"snapshot {snap.instrument_id}@{snap.content_hash[:12]}")


@lru_cache(maxsize=64)
def _parse_snapshot(source: str, label: str) -> Instrument:
    return parse_instrument(source, label)


#: Parsed instruments by the content hash of their snapshot (SHA-256 of the source text, verified on
#: parse), for :func:`wave_instrument_list`. Bounded: cleared when it would pass 256 entries.
_BY_HASH: dict[str, Instrument] = {}


def wave_instrument_list(wave_id: int) -> list[Instrument]:
    """A wave's instruments in questionnaire order, with one query (snapshot ids and hashes) when their
    parses are cached: a survey page no longer loads every snapshot's source text."""
    rows = db.session.execute(
        db.select(InstrumentSnapshot.id, InstrumentSnapshot.content_hash)
        .join(WaveInstrument, WaveInstrument.snapshot_id == InstrumentSnapshot.id)
        .where(WaveInstrument.wave_id == wave_id).order_by(WaveInstrument.position)
    ).all()
    return instruments_by_hash(rows)


def instruments_by_hash(rows: Iterable[tuple[int, str]]) -> list[Instrument]:
    """The parsed instruments of (snapshot id, content hash) pairs, in their order: from the cache by
    content hash, else loaded and parsed (and cached once the parse's hash is verified)."""
    out = []
    for snapshot_id, content_hash in rows:
        inst = _BY_HASH.get(content_hash)
        if inst is None:
            inst = instrument_from_snapshot(db.session.get(InstrumentSnapshot, snapshot_id))
            if inst.content_hash == content_hash:  # only a verified parse is shared
                if len(_BY_HASH) >= 256:
                    _BY_HASH.clear()
                _BY_HASH[content_hash] = inst
        out.append(inst)
    return out
