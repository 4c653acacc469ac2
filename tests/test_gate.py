"""One gate (DESIGN.md section 4, rules 7–11): every page and every command that emits numbers is run
against a small wave with a group below K, and that group's scores appear nowhere.

Routes come from the application's URL map and commands from the CLI (not hand-written lists), so a
new page or command is covered as soon as it exists. The officer's own feedback page is the one
named exemption (rule 11) and is not reachable without a code.
"""

from __future__ import annotations

import io
import re

import click
import pytest
from pypdf import PdfReader

from wellbeing.services.users import create_user

from .helpers import close, fill_wave, open_wave

SMALL = "akm-d1-other--all"   # 3 respondents, K = 5
# The small group's scores: every CBI scale 75 and WHO-5 76 — values no other cell can reach (the
# other groups answer only the lowest options) and that no axis or label prints.
SECRET = {"75", "76"}
PASSWORD = "correct-horse-1"


def answers(rng, inst, group, i):  # type: ignore[no-untyped-def]
    if inst.id == "cbi":
        if group == SMALL:
            return {it.id: (25.0 if it.reverse else 75.0) for it in inst.items}
        return {it.id: (float(rng.choice([75.0, 100.0])) if it.reverse else float(rng.choice([0.0, 25.0])))
                for it in inst.items}
    if inst.id == "who5":
        if group == SMALL:
            return {it.id: v for it, v in zip(inst.items, (4.0, 4.0, 4.0, 4.0, 3.0))}  # 19 * 4 = 76
        return {it.id: float(rng.choice([0.0, 1.0])) for it in inst.items}
    return {}


@pytest.fixture
def small_wave(app):  # type: ignore[no-untyped-def]
    open_wave(app, instruments=("cbi", "who5"))
    fill_wave(app, "w1", {"akm-d1-u1--all": 20, SMALL: 3, "akm-d2-u1--all": 12}, seed=3, answer=answers)
    close(app, "w1")
    with app.app_context():
        create_user("root", "admin", PASSWORD)
    return "w1"


def numbers_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])", text))


def body_text(resp) -> str:  # type: ignore[no-untyped-def]
    ctype = resp.headers.get("Content-Type", "")
    if ctype.startswith("application/pdf"):
        return "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages)
    if ctype.startswith("image/png"):
        return ""  # drawn from the same released tables as the SVG, which is checked
    if ctype.startswith("image/svg"):
        # Only what the picture says (its text elements), not path coordinates.
        return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", resp.get_data(as_text=True), flags=re.S))
    return resp.get_data(as_text=True)


def fill(rule, slug: str, scales: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """URLs for a rule: wave slug, each scale, each format; [] when an argument cannot be filled."""
    urls = [{}]
    for arg in rule.arguments:
        if arg in ("slug", "wave"):
            choices = [slug]
        elif arg in ("scale_id", "scale"):
            choices = scales
        elif arg == "fmt":
            choices = ["png", "svg", "csv", "pdf", "json"]
        elif arg == "n":
            choices = [1, 2]
        else:
            return []
        urls = [{**u, arg: c} for u in urls for c in choices]
    out = []
    for values in urls:
        try:
            out.append(rule.build(values, append_unknown=False)[1])
        except Exception:  # noqa: BLE001 - a converter refused the placeholder
            continue
    return out


def test_no_page_shows_the_small_groups_scores(app, small_wave):
    client = app.test_client()
    r = client.post("/auth/login", data={"name": "root", "password": PASSWORD})
    assert r.status_code in (302, 303)
    scales = ["cbi.personal", "cbi.work", "cbi.client", "cbi.family", "who5.wellbeing"]
    visited = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        for url in fill(rule, small_wave, scales):
            for query in ("", "?by=group", "?by=department", "?by=region", "?by=shift_pattern", "?by=language",
                          "?level=region", "?level=shift_pattern"):
                resp = client.get(url + query)
                if resp.status_code != 200:
                    continue
                visited.append(url + query)
                leaked = numbers_in(body_text(resp)) & SECRET
                assert not leaked, f"{url}{query} shows {leaked}"
    assert any(u.startswith(f"/results/{small_wave}") for u in visited)
    assert any(u.endswith(".pdf") or ".pdf?" in u for u in visited)


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from leaf_commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


def test_no_command_prints_the_small_groups_scores(app, runner, small_wave):
    ran = []
    for path, cmd in leaf_commands(app.cli):
        opts = {o for p in cmd.params for o in getattr(p, "opts", [])}
        if "--format" not in opts:
            continue  # commands that emit numbers take --format (CLI.md)
        args = list(path)
        for p in cmd.params:
            if isinstance(p, click.Argument) and p.name in ("slug", "wave"):
                args.append(small_wave)
            elif "--wave" in getattr(p, "opts", []):
                args += ["--wave", small_wave]
            elif "--waves" in getattr(p, "opts", []):
                args += ["--waves", small_wave]
            elif "--outcome" in getattr(p, "opts", []):
                args += ["--outcome", "cbi.work"]
            elif "--exposure" in getattr(p, "opts", []):
                args += ["--exposure", "shift_pattern"]
        for fmt in ("table", "csv", "json"):
            for extra in ([], ["--by", "group"], ["--by", "department"], ["--by", "region"], ["--by", "language"]):
                if extra and "--by" not in opts:
                    continue
                res = runner.invoke(args=[*args, "--format", fmt, *extra])
                if res.exit_code != 0:
                    continue
                ran.append(" ".join(args + extra))
                leaked = numbers_in(res.output) & SECRET
                assert not leaked, f"flask {' '.join(args + extra)} --format {fmt} prints {leaked}"
    assert any(r.startswith("results") for r in ran)
