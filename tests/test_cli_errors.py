"""The refusal decorator and the net of the `flask` commands (wellbeing/cli/errors.py, guard.py)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from wellbeing.cli.errors import MAX_PROBLEM_LINES, fail, refusals
from wellbeing.cli.guard import guarded
from wellbeing.core.tables import ImportRejected, RowError
from wellbeing.services.pilots import PilotError
from wellbeing.services.waves import WaveError


def run(callback, *args: str):  # type: ignore[no-untyped-def]
    command = click.command("x")(click.argument("file", required=False)(callback))
    return CliRunner().invoke(command, list(args))


def test_import_rejected_is_one_line_per_row_error_naming_the_file():
    @refusals(source="file")
    def cmd(file: str | None) -> None:
        raise ImportRejected([RowError(3, "headcount", "-3", "range", "must be >= 0"),
                              RowError(None, None, None, "encoding", "cannot decode")])

    r = run(cmd, "units.csv")
    assert r.exit_code == 1 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("error: units.csv: ") for line in lines)
    assert "row 3, column headcount" in r.stderr


def test_domain_errors_are_their_message_or_problems_and_split_on_request():
    @refusals()
    def one(file: str | None) -> None:
        raise WaveError("wave 'x': no such wave; really")

    @refusals(split=True)
    def split(file: str | None) -> None:
        raise WaveError("a; b")

    @refusals()
    def problems(file: str | None) -> None:
        raise PilotError(["regions: unknown", "starts: not a date"])

    assert run(one).stderr == "error: wave 'x': no such wave; really\n"
    assert run(split).stderr == "error: a\nerror: b\n"
    r = run(problems)
    assert r.exit_code == 1 and r.stderr == "error: regions: unknown\nerror: starts: not a date\n"


def test_a_library_value_error_is_left_to_the_net():
    @refusals()
    def cmd(file: str | None) -> None:
        int("x")

    r = run(guarded(cmd))
    assert r.exit_code == 1
    assert r.stderr.startswith("error: ValueError: invalid literal") and len(r.stderr.splitlines()) == 1


def test_fail_caps_the_lines_and_counts_the_rest():
    def cmd(file: str | None) -> None:
        fail(f"row {i}" for i in range(MAX_PROBLEM_LINES + 7))

    r = run(cmd)
    lines = r.stderr.splitlines()
    assert r.exit_code == 1 and len(lines) == MAX_PROBLEM_LINES + 1
    assert lines[-1].startswith("error: ... and 7 more problems (57 in all)")
