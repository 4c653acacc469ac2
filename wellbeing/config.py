"""Configuration defaults.

Order of precedence (later wins): these defaults → ``instance/config.py`` → ``WELLBEING_*`` environment
variables (``WELLBEING_DATABASE_URL`` selects the database) → the ``test_config`` mapping given to
:func:`wellbeing.create_app`.
"""

from __future__ import annotations

from pathlib import Path

from .languages import LANGUAGES

#: The checkout (or installed tree) holding ``surveys/`` and ``migrations/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    # Secrets: written to instance/config.py by `flask setup`; required outside tests.
    "SECRET_KEY": None,
    "CODE_HMAC_KEY": None,
    # Seals submitted answers until they are released in a shuffled batch of >= K (64 hex digits,
    # wellbeing.core.sealing). Never in the database; back it up apart from it: losing it loses every
    # answer not yet released.
    "SEAL_KEY": None,
    # Database: None means SQLite in the instance folder (see wellbeing.create_app).
    "DATABASE_URL": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # Disclosure control (DESIGN.md section 4, rule 7): default minimum cell size.
    "MIN_CELL_K": 5,
    # Offer the fatigue index (services.fatigue) as model exposures: about 6x the other features' cost.
    "SCHEDULE_FATIGUE_EXPOSURES": False,
    # The deployment's languages: all interface languages (wellbeing.languages) unless narrowed.
    "LANGUAGES": list(LANGUAGES),
    "BABEL_DEFAULT_LOCALE": "ru",
    # Extra instrument folders are searched after surveys/; instance/surveys/ always comes last and wins.
    "SURVEYS_PATHS": [],
    # Anonymity (DESIGN.md rule 5): Flask-WTF must not read the Referer header under HTTPS.
    "WTF_CSRF_SSL_STRICT": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # A questionnaire set is a few kilobytes; anything far larger is refused (413).
    "MAX_CONTENT_LENGTH": 256 * 1024,
    # Staff upload pages accept larger files, per blueprint, for logged-in staff only (bytes). The demo
    # roster is 0.3 MB, three months of its shifts about 30 MB.
    "UPLOAD_MAX_BYTES": {"schedules": 64 * 1024 * 1024, "admin": 8 * 1024 * 1024},
    # Staff sessions (wellbeing.auth.sessions): idle and absolute limits.
    "STAFF_SESSION_IDLE_MINUTES": 30,
    "STAFF_SESSION_MAX_HOURS": 12,
    # Rate limits (Flask-Limiter syntax; wellbeing.throttle). Never keyed on the client address.
    # Failed logins per user name and for all names together:
    "LOGIN_LIMIT_PER_USER": "10 per minute",
    "LOGIN_LIMIT_GLOBAL": "100 per minute",
    # Code entries in all, and per wave (codes matching no wave share one bucket):
    "CODE_ENTRY_LIMIT_GLOBAL": "1200 per minute",
    "CODE_ENTRY_LIMIT_PER_WAVE": "300 per minute",
    # Counters live in this process ("memory://") with one worker; with WORKERS > 1 (WELLBEING_WORKERS,
    # as make serve's gunicorn reads it, or WEB_CONCURRENCY) a shared storage is needed, e.g.
    # "redis://localhost:6379" (pip install redis).
    "RATELIMIT_STORAGE_URI": "memory://",
    "WORKERS": None,
    # True: refuse to start with in-memory counters and several workers (else an error is logged).
    "RATELIMIT_REQUIRE_SHARED_STORAGE": False,
    # An uploaded file waits this long on the server between its preview and its import.
    "UPLOAD_PREVIEW_TTL_SECONDS": 3600,
    # Survey progress rows expire after this many hours (DESIGN.md rule 5).
    "DRAFT_TTL_HOURS": 12,
    # The officer's feedback page is padded to a multiple of this many bytes, so that its size says
    # nothing about the scores, bands or language shown (docs/deploy.md, "Storage and logs").
    "FEEDBACK_PAGE_BYTES": 32768,
    # Shown on the officer's feedback page. A deployment sets its own (names, phone numbers, hours) in
    # instance/config.py; these defaults are only what is true everywhere in Kazakhstan.
    # Each name and text is a string or a table per language (kk, ru, en), shown in the officer's language.
    "HELP_CONTACTS": [
        {
            "name": {"en": "Departmental psychologist", "ru": "Психолог подразделения",
                     "kk": "Бөлімше психологы"},
            "how": {"en": "Ask your unit's duty desk for the psychologist on call; the conversation is "
                          "confidential.",
                    "ru": "Спросите в дежурной части своего подразделения, какой психолог сейчас на связи; "
                          "разговор конфиденциален.",
                    "kk": "Бөлімшеңіздің кезекші бөлімінен қазір байланыстағы психологты сұраңыз; әңгіме "
                          "құпия сақталады."},
        },
        {
            "name": {"en": "Emergency", "ru": "Экстренная помощь", "kk": "Шұғыл көмек"},
            "how": {"en": "If you or someone else is in danger, call 112.",
                    "ru": "Если вам или кому-то другому угрожает опасность, звоните 112.",
                    "kk": "Сізге немесе басқа біреуге қауіп төнсе, 112-ге қоңырау шалыңыз."},
        },
    ],
    # Whether officers are told which questions are in a provisional translation.
    "SHOW_PROVISIONAL_TO_RESPONDENTS": False,
    # Production serving (wellbeing/production.py, docs/deploy.md): reverse proxies in front (0 = none,
    # ProxyFix off), whether the site is served over HTTPS (secure cookies, HSTS), HSTS max-age in seconds.
    "PROXY_COUNT": 0,
    "TLS": False,
    "HSTS_MAX_AGE": 31_536_000,
    # Interface language when neither a choice (the wb_lang cookie) nor the browser's preference says.
    "DEFAULT_LANGUAGE": "ru",
}
