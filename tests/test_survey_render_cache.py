"""Survey pages written from cached fragments (issue 16): the cache must never carry one officer's
ticks or error messages onto another officer's page, and the cached page must be the page WTForms
validates (same field names and values), with CSRF on."""

from __future__ import annotations

import re

import pytest

from wellbeing.core.codes import format_code
from wellbeing.survey import rendering

from .helpers import csrf, first_values, open_wave


@pytest.fixture
def csrf_client(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def enter(client, code: str) -> str:  # type: ignore[no-untyped-def]
    """Enter ``code`` (CSRF token from the start page); returns page 1's URL."""
    start = client.get("/survey/")
    assert start.status_code == 200
    r = client.post("/survey/", data={"code": format_code(code), "language": "en",
                                      "csrf_token": csrf(start.get_data(as_text=True))})
    assert r.status_code == 303, r.get_data(as_text=True)
    return r.headers["Location"]


def checked(html: str) -> dict[str, str]:
    """The ticked value of each radio item on a page."""
    out = {}
    for tag in re.findall(r"<input[^>]*type=\"radio\"[^>]*>", html):
        if " checked" in tag:
            out[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    return out


def last_values(html: str) -> dict[str, str]:
    """For each radio item on a page, the value of its last option."""
    out = {}
    for tag in re.findall(r"<input[^>]*type=\"radio\"[^>]*>", html):
        out[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    return out


def test_ticks_of_one_officer_never_reach_another(app, csrf_client):  # type: ignore[no-untyped-def]
    codes = open_wave(app)["akm-d1-u1--all"]
    rendering._FRAGMENTS.clear()
    a = app.test_client()
    url_a = enter(a, codes[0])
    page = a.get(url_a).get_data(as_text=True)
    # officer A ticks the last option of every item, goes on, and comes back: the ticks are shown
    answers = last_values(page)
    assert len(answers) >= 5 and answers != first_values(page)
    assert a.post(url_a, data={**answers, "csrf_token": csrf(page)}).status_code == 303
    back = a.get(url_a).get_data(as_text=True)
    assert checked(back) == answers
    # officer B opens the same page afterwards, with A's fragments in the cache: nothing is ticked
    url_b = enter(csrf_client, codes[1])
    fresh = csrf_client.get(url_b).get_data(as_text=True)
    assert checked(fresh) == {}
    assert fresh.count('type="radio"') == back.count('type="radio"')
    # the page's shell is shared, its CSRF token is not: B's own token is on B's page and is accepted
    assert csrf(fresh) != csrf(back)
    assert csrf_client.post(url_b, data={**first_values(fresh), "csrf_token": csrf(fresh)}).status_code == 303


def test_an_error_shown_to_one_officer_is_not_cached(app, csrf_client):  # type: ignore[no-untyped-def]
    codes = open_wave(app)["akm-d1-u1--all"]
    a = app.test_client()
    url_a = enter(a, codes[0])
    page = a.get(url_a).get_data(as_text=True)
    first = next(iter(first_values(page)))
    # the first item left unanswered: its fieldset has nothing ticked, as a fresh page's has, plus an error
    bad = {**first_values(page), "csrf_token": csrf(page)}
    del bad[first]
    refused = a.post(url_a, data=bad).get_data(as_text=True)
    assert f'id="{first}-error"' in refused and 'class="item invalid"' in refused
    # a value outside the response set is shown as refused, and not kept as a cache key
    odd = a.post(url_a, data={**bad, first: "99999"})
    assert odd.status_code == 400 and f'id="{first}-error"' in odd.get_data(as_text=True)
    assert not any("99999" in map(str, key) for key in rendering._FRAGMENTS)
    url_b = enter(csrf_client, codes[1])
    fresh = csrf_client.get(url_b).get_data(as_text=True)
    assert "-error" not in fresh and 'class="item invalid"' not in fresh


def test_the_cached_page_is_what_the_form_validates(app, csrf_client):  # type: ignore[no-untyped-def]
    """Every page's radio names and values, as written from the cache, are accepted by WTForms and
    complete the survey (CSRF on)."""
    codes = open_wave(app)["akm-d1-u1--all"]
    url = enter(csrf_client, codes[0])
    for _ in range(10):
        page = csrf_client.get(url).get_data(as_text=True)
        assert page.count('name="csrf_token" type="hidden"') == 1
        r = csrf_client.post(url, data={**first_values(page), "csrf_token": csrf(page)})
        if r.status_code != 303:
            break
        url = r.headers["Location"]
    assert r.status_code == 200 and "your answers were sent" in r.get_data(as_text=True)


def test_a_page_post_without_the_token_is_refused_and_saves_nothing(app, csrf_client):  # type: ignore[no-untyped-def]
    """The page forms carry no CSRF check of their own: CSRFProtect's check of every POST must refuse
    a cross-site post of answers (no token, or another officer's) before anything is kept."""
    codes = open_wave(app)["akm-d1-u1--all"]
    url = enter(csrf_client, codes[0])
    page = csrf_client.get(url).get_data(as_text=True)
    other = app.test_client()
    other_page = other.get(enter(other, codes[1])).get_data(as_text=True)
    for token in (None, csrf(other_page)):
        data = last_values(page) | ({"csrf_token": token} if token else {})
        assert csrf_client.post(url, data=data).status_code == 400
    assert checked(csrf_client.get(url).get_data(as_text=True)) == {}
