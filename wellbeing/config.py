"""Configuration defaults.

Order of precedence (later wins): these defaults → ``instance/config.py`` → ``WELLBEING_*`` environment
variables (``WELLBEING_DATABASE_URL`` selects the database) → the ``test_config`` mapping given to
:func:`wellbeing.create_app`.
"""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # Secrets: written to instance/config.py by `flask setup`; required outside tests.
    "SECRET_KEY": None,
    "CODE_HMAC_KEY": None,
    # Database: None means SQLite in the instance folder (see wellbeing.create_app).
    "DATABASE_URL": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # Disclosure control (DESIGN.md section 4, rule 7): default minimum cell size.
    "MIN_CELL_K": 5,
    # Offer the fatigue index (services.fatigue) as model exposures: about 6x the other features' cost.
    "SCHEDULE_FATIGUE_EXPOSURES": False,
    # Interface languages (DESIGN.md: Kazakh, Russian, English).
    "LANGUAGES": ["kk", "ru", "en"],
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
    # Survey progress rows expire after this many hours (DESIGN.md rule 5).
    "DRAFT_TTL_HOURS": 12,
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
    # Interface language when neither a choice (the wb_lang cookie) nor the browser's preference says.
    "DEFAULT_LANGUAGE": "ru",
}
