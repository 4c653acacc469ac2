"""Text put into PDFs is shown literally, never interpreted.

ReportLab's ``Paragraph`` reads a mini-markup (``<b>``, ``<img src=...>`` that embeds any file the
server can read, ``<a href="javascript:...">``, ``<font>``...); an unbalanced tag makes it raise. Every
text that comes from data — wave titles, slugs, scale and instrument names from instrument files,
breakdown labels — goes through :func:`markup` before it is placed in a Paragraph. Matplotlib reads
``$...$`` as mathematics; :data:`MPL_LITERAL` is the rc setting (and ``parse_math=False`` the keyword)
that turns this off for report text. The code slips (``core.slips``) draw with ``Canvas.drawString``,
which interprets nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

from xml.sax.saxutils import escape

#: Matplotlib rc parameters under which text is never parsed as mathtext.
MPL_LITERAL: dict[RcKeyType, Any] = {"text.parse_math": False}


def markup(value: object) -> str:
    """``value`` as ReportLab Paragraph markup that renders exactly its text (``&``, ``<``, ``>``
    escaped; quotes need no escaping outside attributes, and nothing here is an attribute).

    >>> markup("<b>x</b> & y")
    '&lt;b&gt;x&lt;/b&gt; &amp; y'
    """
    return escape("" if value is None else str(value))
