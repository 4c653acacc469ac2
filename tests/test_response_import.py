"""`flask waves create --import-only` and `flask responses import` on the FRA dispatchers' survey
(docs/case-study-fra.md), on a real SQLite file: in-process through Flask's CliRunner, plus one
subprocess `flask` run each for `responses` and `results` (``smoke`` tests)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from wellbeing import create_app
from wellbeing.core.disclosure import round_half_away

from .conftest import make_config
from .helpers import DATA, REPO, TEST_INSTANCE_CONFIG, Ran, invoke, prepared_instance, run_flask

pytestmark = pytest.mark.sqlite_only(reason="the tests read the instance folder's SQLite file directly")

FRA = DATA / "fra-dispatchers.csv"
EXAMPLE = REPO / "examples" / "fra"
INSTRUMENTS = "fra_dispatchers,fra_background,selfreport_schedule"
GROUP_OF = {1: "first-shift", 2: "second-shift", 3: "third-shift", 4: "relief", 5: "extraboard"}

Cli = Callable[..., Ran]


def create(cli: Cli, slug: str = "fra", *extra: str) -> Ran:
    return cli("waves", "create", slug, "--import-only", "--instruments", INSTRUMENTS,
               "--groups", str(EXAMPLE / "groups.csv"), *extra)


def import_(cli: Cli, file: Path, slug: str = "fra") -> Ran:
    return cli("responses", "import", str(file), "--wave", slug, "--mapping", str(EXAMPLE / "mapping.toml"))


def stored(inst: Path) -> int:
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    try:
        return con.execute("select count(*) from response").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def cli(app) -> Cli:  # type: ignore[no-untyped-def]
    """``cli(*args)``: run ``flask <args>`` in-process on the test's app (its own instance and database)."""
    return lambda *args, input=None: invoke(app, *args, input=input)


@pytest.fixture
def inst(app) -> Path:  # type: ignore[no-untyped-def]
    return Path(app.instance_path)


@pytest.fixture(scope="module")
def fra_app(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path | str) -> Iterator:
    """The documented run: create, import, close (once for the module's read-only tests), in-process on
    an instance folder of its own."""
    inst = tmp_path_factory.mktemp("fra") / "instance"
    inst.mkdir()
    (inst / "config.py").write_text(TEST_INSTANCE_CONFIG, encoding="utf-8")
    db_file = inst / "wellbeing.sqlite"
    shutil.copy(migrated_db, db_file)
    app = create_app(make_config(inst, db_file, INSTANCE_PATH=str(inst)))
    r = create(lambda *a: invoke(app, *a))
    assert r.returncode == 0, r.stderr
    r = import_(lambda *a: invoke(app, *a), FRA)
    assert r.returncode == 0, r.stderr
    assert "imported 443 responses" in r.stderr and "dropped (identifiers, not stored): ID" in r.stderr
    r = invoke(app, "waves", "close", "fra")
    assert r.returncode == 0, r.stderr
    yield app
    with app.app_context():
        from wellbeing.extensions import db

        db.engine.dispose()


@pytest.fixture
def fra(fra_app) -> Path:  # type: ignore[no-untyped-def]
    """The instance folder of the documented run."""
    return Path(fra_app.instance_path)


def results(app, *args: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    r = invoke(app, "results", "fra", "--format", "csv", *args)
    assert r.returncode == 0, r.stderr
    return pd.read_csv(io.StringIO(r.stdout), dtype={"age_band": str})


def test_documented_import_stores_shuffled_random_ids_and_no_times(fra: Path):
    con = sqlite3.connect(fra / "wellbeing.sqlite")
    ids = [i for (i,) in con.execute("select id from response")]
    assert len(ids) == 443 and all(uuid.UUID(i).version == 4 for i in ids)
    items = {i for (i,) in con.execute("select distinct item_id from answer")}
    assert {"mentally_drained", "age_band", "night_hours_band", "weekly_hours_band"} <= items
    assert not any(w in i.lower() for i in items for w in ("start", "end", "id"))
    values = {v for (v,) in con.execute("select distinct value from answer")}
    assert values <= {1.0, 2.0, 3.0, 4.0, 5.0}  # codes only: no clock time, no ID
    (rows, kind), = con.execute("select rows, kind from import_record")
    assert rows == 443 and kind.startswith("responses:")
    status, = con.execute("select status from wave where slug='fra'").fetchone()
    assert status == "closed"


def test_import_only_wave_lifecycle(app, inst: Path, cli: Cli):  # type: ignore[no-untyped-def]
    assert create(cli).returncode == 0
    r = cli("waves", "open", "fra")
    assert r.returncode == 1 and "never opens" in r.stderr
    r = cli("waves", "issue-codes", "fra", "--out", str(inst / "slips"))
    assert r.returncode == 1
    assert import_(cli, FRA).returncode == 0
    # while importing, no number but the count is released
    df = results(app, "--by", "group")
    assert df["suppressed"].all() and set(df["reason"]) == {"wave_open"}
    r = import_(cli, FRA)
    assert r.returncode == 1 and "imported into wave 'fra' already" in r.stderr
    assert cli("waves", "close", "fra").returncode == 0
    other = inst.parent / "copy.csv"
    other.write_bytes(FRA.read_bytes() + b"\n")
    r = import_(cli, other)
    assert r.returncode == 1 and "closed" in r.stderr
    assert stored(inst) == 443


def test_create_refusals(inst: Path, cli: Cli):
    r = cli("waves", "create", "x", "--import-only", "--instruments", INSTRUMENTS)
    assert r.returncode == 1 and "--groups" in r.stderr
    bad = inst.parent / "groups.csv"
    bad.write_text("value,slug,label\n1,first,One\n1.0,second,Two\n", encoding="utf-8")
    r = cli("waves", "create", "x", "--import-only", "--instruments", INSTRUMENTS, "--groups", str(bad))
    assert r.returncode == 1 and "row 3, column value" in r.stderr
    r = create(cli, "x", "--min-cell", "3")
    assert r.returncode == 1 and "K is at least 5" in r.stderr


def test_web_wave_refuses_import(cli: Cli):
    assert cli("units", "import", str(DATA / "units-small.csv")).returncode == 0
    assert cli("waves", "create", "web", "--instruments", "cbi", "--opens", "2026-01-01",
               "--closes", "2026-02-01").returncode == 0
    r = import_(cli, FRA, "web")
    assert r.returncode == 1 and "--import-only" in r.stderr


def malformed(tmp: Path, name: str, change) -> Path:  # type: ignore[no-untyped-def]
    with FRA.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    header = change(rows, header) or header
    path = tmp / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def test_malformed_copies_are_refused_and_store_nothing(inst: Path, cli: Cli, tmp_path: Path):
    assert create(cli).returncode == 0

    def seven(rows, header):  # type: ignore[no-untyped-def]
        rows[98]["Mentally_Drained"] = "7.0"  # file row 100

    def no_column(rows, header):  # type: ignore[no-untyped-def]
        return [h for h in header if h != "Mentally_Drained"]

    def respondent_code(rows, header):  # type: ignore[no-untyped-def]
        for i, r in enumerate(rows):
            r["Respondent"] = f"R{1000 + 7 * i}"  # an identifier the mapping does not drop
        return [*header, "Respondent"]

    cases = {
        "seven.csv": (seven, "row 100, column Mentally_Drained: '7.0'"),
        "no-column.csv": (no_column, "row 1, column Mentally_Drained"),
        "respondent.csv": (respondent_code, "row 1, column Respondent"),
    }
    for name, (change, expected) in cases.items():
        r = import_(cli, malformed(tmp_path, name, change))
        assert r.returncode == 1, name
        lines = r.stderr.strip().splitlines()
        assert all(line.startswith("error: ") for line in lines)
        assert any(expected in line for line in lines), (name, r.stderr)
        assert stored(inst) == 0


def test_smoke_id_left_out_of_drop_list_is_refused(tmp_path: Path, migrated_db: Path | str):
    """Smoke test of `flask responses`: exit 1 with the row, column and rule, and nothing stored."""
    inst = prepared_instance(tmp_path / "instance", migrated_db)
    assert run_flask(inst, "waves", "create", "fra", "--import-only", "--instruments", INSTRUMENTS,
                     "--groups", str(EXAMPLE / "groups.csv")).returncode == 0
    mapping = tmp_path / "mapping.toml"
    mapping.write_text((EXAMPLE / "mapping.toml").read_text(encoding="utf-8")
                       .replace('drop = ["ID"]', "drop = []").replace('skip_rows_where = { ID = "^\\\\D" }', ""),
                       encoding="utf-8")
    r = run_flask(inst, "responses", "import", str(FRA), "--wave", "fra", "--mapping", str(mapping))
    assert r.returncode == 1
    assert "row 1, column ID" in r.stderr and "likely identifier" in r.stderr
    assert stored(inst) == 0


def test_group_means_equal_pandas_after_rounding(fra_app):  # type: ignore[no-untyped-def]
    df = results(fra_app, "--by", "group", "--scale", "fra_dispatchers.mentally_drained")
    raw = pd.read_csv(FRA)
    expected = raw.groupby("job_schedule")["Mentally_Drained"].agg(["mean", "count"])
    shown = df[~df["suppressed"]].set_index("group")
    assert len(shown) == 5
    for code, row in expected.iterrows():
        g = GROUP_OF[int(code)]
        assert shown.loc[g, "n"] == row["count"]
        assert shown.loc[g, "mean"] == round_half_away(row["mean"], 1)  # precision 1 on the 1-4 scale
    # the stressor mean: the platform's scoring rule (mean of answered items, at least 10 of 14)
    stress = results(fra_app, "--by", "group", "--scale", "fra_dispatchers.stressors").set_index("group")
    items = raw.loc[:, "Emergencies":"TimeOff"]
    per_person = items.mean(axis=1).where(items.notna().sum(axis=1) >= 10)
    by = per_person.groupby(raw["job_schedule"]).mean()
    for code, mean in by.items():
        assert stress.loc[GROUP_OF[int(code)], "mean"] == round_half_away(mean, 1)


def test_group_by_age_band_suppresses_small_cells_with_reason(fra_app):  # type: ignore[no-untyped-def]
    df = results(fra_app, "--by", "group,age_band", "--scale", "fra_dispatchers.mentally_drained")
    raw = pd.read_csv(FRA)
    counts = raw.groupby(["job_schedule", "Age_Group"]).size()
    cells = df.set_index(["group", "age_band"])
    small = [(GROUP_OF[int(j)], str(int(a))) for (j, a), n in counts.items() if n < 5]
    assert small  # e.g. first shift, aged 20-29: 1 dispatcher
    for key in small:
        row = cells.loc[key]
        assert bool(row["suppressed"]) and row["reason"] == "below_k" and pd.isna(row["mean"])
    # some cells are suppressed to protect the small ones (complementary), the rest are shown
    assert (cells["reason"] == "complementary").any()
    shown = cells[~cells["suppressed"]]
    assert len(shown) and (shown["n"] >= 5).all()
    for (g, a), row in shown.iterrows():
        code = {v: k for k, v in GROUP_OF.items()}[g]
        sub = raw[(raw["job_schedule"] == code) & (raw["Age_Group"] == int(a))]["Mentally_Drained"]
        assert row["n"] == len(sub) and row["mean"] == round_half_away(sub.mean(), 1)


def test_smoke_results_by_schedule_band(fra: Path):
    """Smoke test of `flask results` as a user runs it (subprocess), on the documented run's instance."""
    r = run_flask(fra, "results", "fra", "--by", "night_hours_band", "--scale", "fra_dispatchers.fatigue",
                  "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {row["night_hours_band"] for row in rows} >= {"1", "2", "3", "4", "missing"}


def test_case_study_analysis_script_runs(fra: Path):
    """examples/fra/analysis.py (pasted in docs/case-study-fra.md) on the imported wave."""
    import os
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(EXAMPLE / "analysis.py")], capture_output=True, text=True,
                       env={**os.environ, "WELLBEING_INSTANCE_PATH": str(fra)}, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr
    # the stressor alpha equals R psych's (tests/core/test_psychometrics.py) on the imported data
    assert "fra_dispatchers.stressors    alpha 0.8554046771" in r.stdout
    assert r.stdout.count("rule 12: released") == 5
