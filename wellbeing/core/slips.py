"""Printable code slips: a PDF of cut-out slips, ten per A4 page, one code each.

Drawn with matplotlib's PDF backend (``Figure`` objects, no pyplot state) in DejaVu Sans, which
matplotlib ships and which covers Kazakh and Russian letters, with TrueType embedding so that the text
stays selectable. A slip holds no name, number or sequence: only the survey address and the code.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .codes import format_code

A4_INCHES = (8.27, 11.69)
PER_PAGE = 10


def slips_pdf(codes: Sequence[str], *, title: str, address: str, note: str = "") -> bytes:
    """Render ``codes`` (normalised) as slips; returns the PDF file's bytes (one code per slip)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        with PdfPages(buf, metadata={"Title": title, "Creator": "wellbeing"}) as pdf:
            for start in range(0, max(len(codes), 1), PER_PAGE):
                fig = Figure(figsize=A4_INCHES)
                for i, code in enumerate(codes[start:start + PER_PAGE]):
                    col, row = i % 2, i // 2
                    x0, y0 = 0.04 + col * 0.48, 0.96 - (row + 1) * 0.19
                    ax = fig.add_axes((x0, y0, 0.44, 0.17))
                    ax.set_xticks([])
                    ax.set_yticks([])
                    for spine in ax.spines.values():
                        spine.set_linestyle((0, (4, 3)))
                    ax.text(0.05, 0.82, title, fontsize=10, weight="bold", transform=ax.transAxes)
                    ax.text(0.05, 0.62, address, fontsize=8, transform=ax.transAxes)
                    ax.text(0.05, 0.36, format_code(code), fontsize=10.5, family="DejaVu Sans Mono",
                            transform=ax.transAxes)
                    if note:
                        ax.text(0.05, 0.12, note, fontsize=6.5, transform=ax.transAxes, wrap=True)
                pdf.savefig(fig)
    return buf.getvalue()
