"""CSV cells that a spreadsheet would run as a formula are neutralised in every CSV the platform writes.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV injection: ``=HYPERLINK(...)``, DDE). Such a cell gets a
leading apostrophe, which spreadsheets show as text (OWASP, "CSV Injection"). Only text values are
touched: numbers — negative ones included — are written as numbers.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` with a leading ``'`` if it is text starting with a formula character; else unchanged.

    >>> neutralise("=1+1"), neutralise(-3.5), neutralise("akm-d1")
    ("'=1+1", -3.5, 'akm-d1')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
