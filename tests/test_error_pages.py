"""The app's own error pages, in the page's language, on every route; staff pages and exports are never
cached (issue 17, item 6)."""

from __future__ import annotations

import pytest
from flask import Flask

from wellbeing.services.users import create_user

PASSWORD = "a long test password"


@pytest.mark.parametrize("lang,title", [("en", "Page not found"), ("ru", "Страница не найдена"),
                                        ("kk", "Бет табылмады")])
def test_404_is_the_apps_page_in_the_pages_language(client, lang: str, title: str) -> None:  # type: ignore[no-untyped-def]
    client.set_cookie("wb_lang", lang)
    for url in ("/no-such-page", "/survey/no-such-page", "/admin/waves/no-such-wave/x"):
        res = client.get(url)
        html = res.get_data(as_text=True)
        assert res.status_code == 404 and title in html and "Werkzeug" not in html
        assert f'<html lang="{lang}">' in html


def test_405_and_500_are_the_apps_pages(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    client = app.test_client()
    res = client.get("/auth/logout")
    assert res.status_code == 405 and "Not allowed here" in res.get_data(as_text=True)
    assert "POST" in res.headers["Allow"]

    app.testing = False          # let the handler render, as in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    res = client.get("/boom")
    html = res.get_data(as_text=True)
    assert res.status_code == 500 and "Something went wrong" in html and "secret detail" not in html


def test_every_route_error_is_the_apps_page(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    """Each rule of the URL map, called with a method it does not take and with a bad argument, answers
    with the app's error template (its skip link), never Werkzeug's plain page."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", "zz-no-such").replace(f"<path:{arg}>", "zz").replace(f"<int:{arg}>", "0")
        method = "PUT"
        res = client.open(url, method=method)
        html = res.get_data(as_text=True)
        assert res.status_code == 405 and 'class="skip"' in html, (rule.rule, res.status_code)


def test_staff_pages_and_exports_are_not_cached(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        create_user("boss", "admin", PASSWORD)
    assert client.post("/auth/login", data={"name": "boss", "password": PASSWORD}).status_code == 302
    for url in ("/admin/", "/admin/units", "/auth/account", "/schedules/"):
        res = client.get(url)
        assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store", url
    assert client.get("/auth/login").headers.get("Cache-Control") == "no-store"
