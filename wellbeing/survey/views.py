"""Survey pages: code entry, one page per instrument, submit, personal feedback.

Progress lives in the database under a random nonce held in an HttpOnly cookie scoped to /survey; the
code itself appears in no page, cookie or URL after it is entered (it travels once, in a POST body).
"""

from __future__ import annotations

import logging

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import throttle
from ..pages import LANG_COOKIE, localized, select_locale
from ..services import submissions
from . import bp, rendering
from .forms import CodeForm, LanguageForm, instrument_form

log = logging.getLogger(__name__)

NONCE_COOKIE = "wb_progress"
#: Set when answers are sent, so that Back or Reload says they were received: a flag in the browser only
#: (value "1", no server state, DESIGN.md rule 4); removed when a code is entered again.
SENT_COOKIE = "wb_sent"


def _state() -> submissions.State | None:
    return submissions.load(request.cookies.get(NONCE_COOKIE))


def _set_lang_cookie(resp: WerkzeugResponse, lang: str) -> None:
    resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                    secure=request.is_secure)


@bp.before_request
def _survey_language() -> None:
    g.survey_lang = select_locale()   # the cookie, else the browser's preference (not yet g.survey_lang)


@bp.get("/")
def start() -> str:
    form = CodeForm(language=g.survey_lang)
    return _render_start(form, rendering.code_fields(g.survey_lang))


def _render_start(form: CodeForm, code_fields: str | None = None) -> str:
    """The start page; ``code_fields`` is the cached HTML of its empty fields (None: render ``form``,
    e.g. with its errors)."""
    return render_template("survey/start.html", form=form, code_fields=code_fields,
                           minutes=submissions.open_wave_minutes())


@bp.post("/")
@throttle.code_entry_global
@throttle.code_entry_per_wave
def enter_code() -> WerkzeugResponse | tuple[str, int]:
    form = CodeForm()
    if not form.validate_on_submit():
        return _render_start(form), 400
    lang = form.language.data or g.survey_lang
    g.survey_lang = lang
    try:
        nonce = submissions.start(form.code.data, lang)
    except submissions.SurveyError as exc:
        form.code.errors = [str(exc)]
        form.code.data = ""
        return _render_start(form), 400
    resp = redirect(url_for("survey.page", n=1), code=303)
    resp.set_cookie(NONCE_COOKIE, nonce, httponly=True, samesite="Strict", path="/survey",
                    secure=request.is_secure)
    _set_lang_cookie(resp, lang)
    resp.delete_cookie(SENT_COOKIE, path="/survey")
    return resp


@bp.post("/language")
def language() -> WerkzeugResponse:
    form = LanguageForm()
    lang = form.language.data if form.validate_on_submit() else g.survey_lang
    state = _state()
    back = request.form.get("page", type=int)
    if state is not None and form.validate_on_submit():
        if back:  # the language button belongs to the page's form: keep what was ticked
            submissions.keep_answers(state, back, request.form)
        submissions.set_language(state, lang)
    target = url_for("survey.page", n=back) if state is not None and back else url_for("survey.start")
    resp = redirect(target, code=303)
    _set_lang_cookie(resp, lang)
    return resp


def _expired() -> tuple[str, int]:
    """No progress behind this browser: answers already sent (the :data:`SENT_COOKIE` flag), or the
    progress expired or never existed."""
    if request.cookies.get(SENT_COOKIE):
        return render_template("survey/received.html"), 200
    return render_template("survey/expired.html"), 410


@bp.route("/page/<int:n>", methods=["GET", "POST"])
def page(n: int) -> WerkzeugResponse | str | tuple[str, int]:
    state = _state()
    if state is None:
        return _expired()
    if not 1 <= n <= len(state.instruments):
        abort(404)
    lang = state.progress.language
    g.survey_lang = lang
    inst = state.instruments[n - 1]
    if request.method == "GET":  # no form object: the page is written from cached fragments
        return _render_page(state, n, rendering.form_values(state.answers.get(inst.id) or {}))
    form = instrument_form(inst, lang)
    if not form.validate_on_submit():
        return _render_posted(state, n, form), 400
    raw = {it.id: getattr(form, it.id).data for it in inst.items}
    try:
        submissions.save_page(state, inst.id, raw, store=n < len(state.instruments))
    except submissions.SurveyError as exc:
        field = getattr(form, exc.field, None)
        if field is not None:
            field.errors = [str(exc)]
        return _render_posted(state, n, form), 400
    if n < len(state.instruments):
        return redirect(url_for("survey.page", n=n + 1), code=303)
    return _submit(state)


def _submit(state: submissions.State) -> WerkzeugResponse | tuple[str, int]:
    try:
        feedback = submissions.submit(state)
    except submissions.CodeUsed:
        resp = make_response(render_template("survey/used.html"), 409)
        resp.delete_cookie(NONCE_COOKIE, path="/survey")
        return resp
    except submissions.SurveyError as exc:
        return render_template("survey/message.html", message=str(exc)), 409
    resp = make_response(feedback_page(feedback))
    resp.delete_cookie(NONCE_COOKIE, path="/survey")
    resp.set_cookie(SENT_COOKIE, "1", max_age=int(current_app.config["DRAFT_TTL_HOURS"]) * 3600,
                    httponly=True, samesite="Strict", path="/survey", secure=request.is_secure)
    return resp


def feedback_page(feedback: submissions.Feedback) -> str:
    """The officer's feedback page, padded with an HTML comment to a whole multiple of
    ``FEEDBACK_PAGE_BYTES`` (UTF-8 bytes, default 32 KiB), so that its size on the wire — seen by
    anyone who watches traffic sizes — says nothing about the scores, bands or language shown (the
    unpadded page differed by WHO-5 band: 1,623 / 1,708 / 1,740 bytes). Survey routes are served
    uncompressed (``Cache-Control: no-transform``; docs/deploy.md), else the padding would compress away.
    """
    concern = any(s is not None and s.concern for _, scores in feedback.scores for s in scores.values())
    html = render_template("survey/feedback.html", feedback=feedback, concern=concern,
                           contacts=current_app.config["HELP_CONTACTS"])
    bucket = int(current_app.config["FEEDBACK_PAGE_BYTES"])
    wrapper = len("<!---->\n")
    size = len(html.encode("utf-8")) + wrapper
    target = -(-size // bucket) * bucket
    if target > bucket:
        log.warning("a feedback page exceeds FEEDBACK_PAGE_BYTES=%d: raise it so all pages share one size", bucket)
    padding = "<!--" + " " * (target - size) + "-->\n"
    if "</body>" not in html:
        return html + padding
    head, tail = html.rsplit("</body>", 1)
    return head + padding + "</body>" + tail


def _render_posted(state: submissions.State, n: int, form) -> str:  # type: ignore[no-untyped-def]
    """The page again after a refused POST, with what was ticked and the fields' errors."""
    inst = state.instruments[n - 1]
    values = {it.id: getattr(form, it.id).data for it in inst.items}
    return _render_page(state, n, {k: v if isinstance(v, str) else None for k, v in values.items()},
                        rendering.field_errors(form), has_errors=bool(form.errors))


def _render_page(state: submissions.State, n: int, values: dict[str, str | None],
                 errors: dict[str, list[str]] | None = None, *, has_errors: bool = False) -> str:
    inst = state.instruments[n - 1]
    lang = state.progress.language
    show_provisional = current_app.config.get("SHOW_PROVISIONAL_TO_RESPONDENTS")
    status = inst.languages.get(lang)
    provisional = bool(show_provisional and status and status.status == "provisional")
    csrf = generate_csrf() if current_app.config.get("WTF_CSRF_ENABLED", True) else ""
    items = rendering.page_html(inst, lang, values, errors)

    def render(csrf: str, items: list) -> str:  # type: ignore[type-arg]
        return render_template(
            "survey/page.html", items=items, has_errors=has_errors, csrf=csrf,
            inst=inst, n=n, total=len(state.instruments), lang=lang,
            title=localized(inst.name, lang), refers_to=localized(inst.refers_to, lang) if inst.refers_to else "",
            instructions=localized(inst.instructions, lang) if inst.instructions else "",
            provisional=provisional, lang_select=rendering.language_select(lang),
        )

    if has_errors or not csrf:
        return render(csrf, items)
    key = (inst.content_hash, lang, n, len(state.instruments), provisional)
    return rendering.page_from_shell(key, render, csrf, items)
