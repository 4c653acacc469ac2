"""Slip rendering speed: PDF of N code slips with and without the QR code (issue 21).

Prints seconds per 100 slips for both and their ratio (QR / no QR), measured in the same run.
Usage: .venv/bin/python benchmarks/slips.py [N]   (default 500)
"""

from __future__ import annotations

import logging
import sys
import time

from wellbeing.core.codes import generate_code
from wellbeing.core.slips import slips_pdf

log = logging.getLogger("benchmarks.slips")
NOTES = ["Анонимный опрос. Отсканируйте QR-код или введите код по адресу выше. QR-код содержит только этот "
         "адрес и код. Никто не записывает, кто взял какой талон."] * 3


def timed(codes: list[str], qr: bool) -> tuple[float, int]:
    t = time.perf_counter()
    pdf = slips_pdf(codes, title="Весенняя волна 2026", address="https://survey.example.kz/survey/",
                    notes=NOTES, qr=qr)
    return time.perf_counter() - t, len(pdf)


def main(n: int = 500) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    codes = [generate_code() for _ in range(n)]
    timed(codes[:10], True)  # fonts registered once, outside the measurement
    base, base_size = timed(codes, qr=False)
    with_qr, qr_size = timed(codes, qr=True)
    log.info("%d slips: without QR %.2f s (%.2f s/100, %d KB); with QR %.2f s (%.2f s/100, %d KB); "
             "ratio %.2f", n, base, 100 * base / n, base_size // 1024, with_qr, 100 * with_qr / n,
             qr_size // 1024, with_qr / base)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
