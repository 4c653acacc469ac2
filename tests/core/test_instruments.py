"""Instrument loading, validation and scoring, with hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from wellbeing.core.instruments import (
    AnswerError,
    InstrumentError,
    load_catalogue,
    load_instrument,
    parse_instrument,
    score,
)

REPO = Path(__file__).resolve().parents[2]
SURVEYS = REPO / "surveys"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue([SURVEYS])


def test_every_shipped_file_is_valid(catalogue):
    assert {"cbi", "who5"} <= set(catalogue)
    for path in SURVEYS.glob("*.toml"):
        load_instrument(path)


def test_cbi_structure(catalogue):
    cbi = catalogue["cbi"]
    assert len(cbi.items) == 19
    sizes = {s.id: len(s.items) for s in cbi.scales}
    assert (sizes["personal"], sizes["work"], sizes["client"]) == (6, 7, 6)
    assert [it.id for it in cbi.items if it.reverse] == ["w7"]
    assert [s.min_answered for s in cbi.scales[:3]] == [3, 4, 3]


def test_cbi_scoring_with_reversed_item(catalogue):
    cbi = catalogue["cbi"]
    answers = {"p1": 100, "p2": 75, "p3": 50, "p4": 25, "p5": 0, "p6": 50,
               "w1": 75, "w2": 75, "w3": 50, "w4": 100, "w5": 25, "w6": 50,
               "w7": 25,  # "enough energy for family and friends?" Seldom -> reverse-scored 75
               "c1": 50, "c2": 50, "c3": None, "c4": None, "c5": None, "c6": 0}
    s = score(cbi, answers)
    assert s["personal"].value == pytest.approx(300 / 6)  # 50.0 -> "high" (>= 50)
    assert s["personal"].band == "high" and s["personal"].concern
    assert s["work"].value == pytest.approx((75 + 75 + 50 + 100 + 25 + 50 + 75) / 7)  # 64.29
    assert s["client"].value == pytest.approx(100 / 3)  # three answered: the minimum
    assert s["client"].band == "low" and not s["client"].concern
    assert s["family"].value == 75 and s["family"].n_answered == 1


def test_personal_burnout_with_too_few_answers_has_no_score(catalogue):
    s = score(catalogue["cbi"], {"p1": 100, "p2": 100})
    assert s["personal"] is None
    assert s["work"] is None


def test_who5_is_raw_sum_times_four(catalogue):
    who5 = catalogue["who5"]
    ids = [it.id for it in who5.items]
    s = score(who5, dict(zip(ids, [3, 2, 4, 1, 3])))
    sid = who5.scales[0].id
    assert s[sid].value == 52  # (3 + 2 + 4 + 1 + 3) * 4
    assert s[sid].band == "adequate"
    low = score(who5, dict(zip(ids, [1, 1, 2, 1, 2])))[sid]
    assert low.value == 28 and low.band == "likely_depression" and low.concern
    # A sum score needs every item.
    assert score(who5, dict(zip(ids[:4], [5, 5, 5, 5])))[sid] is None


def test_values_outside_the_response_set_are_refused(catalogue):
    with pytest.raises(AnswerError, match="p1"):
        score(catalogue["cbi"], {"p1": 60})
    with pytest.raises(AnswerError, match="unknown item"):
        score(catalogue["cbi"], {"zz": 0})


def test_instance_definition_overrides_shipped_one(tmp_path):
    override = (SURVEYS / "cbi.toml").read_text(encoding="utf-8").replace('version = "', 'version = "licensed-', 1)
    (tmp_path / "cbi.toml").write_text(override, encoding="utf-8")
    cat = load_catalogue([SURVEYS, tmp_path])
    assert cat["cbi"].version.startswith("licensed-")
    assert cat["cbi"].path == str(tmp_path / "cbi.toml")
    assert "who5" in cat  # the rest of the catalogue stays


MINIMAL = '''
id = "demo"
version = "1"
citation = "x"
licence = "MIT"
name = { en = "Demo" }
[languages.en]
status = "original"
[response_sets.yn]
options = [ { value = 0, label = { en = "No" } }, { value = 1, label = { en = "Yes" } } ]
[[items]]
id = "a"
response_set = "yn"
text = { en = "A?" }
[[scales]]
id = "s"
name = { en = "S" }
items = ["a", "b"]
method = "mean"
min_answered = 1
range = [0, 1]
'''


def test_scale_naming_a_missing_item_names_file_scale_and_item(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    assert str(err.value) == f"{path}: scale 's': items: unknown item 'b'"


@pytest.mark.parametrize("change, expected", [
    (('status = "original"', 'status = "validated"'), "language 'en': source: missing"),
    (('text = { en = "A?" }', 'text = { ru = "A?" }'), "item 'a': text.en: missing text"),
    (('response_set = "yn"', 'response_set = "nope"'), "item 'a': response_set: unknown response set 'nope'"),
    (('range = [0, 1]', 'range = [0, 0.5]'), "scale 's': range: scores can reach 0–1"),
    (('min_answered = 1', 'min_answered = 3'), "scale 's': min_answered: 3 is not between 1 and 1"),
])
def test_validation_messages(change, expected):
    src = MINIMAL.replace('items = ["a", "b"]', 'items = ["a"]').replace(*change)
    with pytest.raises(InstrumentError) as err:
        parse_instrument(src, "demo.toml")
    assert expected in str(err.value)


def test_structure_only_definitions_need_no_text(catalogue):
    for inst in catalogue.values():
        if inst.structure_only:
            assert inst.available_languages == ()
            assert inst.scales
