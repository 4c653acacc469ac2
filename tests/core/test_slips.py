"""Code slips (issue 21): every slip's QR code holds the survey address with its own code in the
fragment only, and each slip carries the notes it is given (one per language)."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from wellbeing.core.codes import format_code, generate_code
from wellbeing.core.slips import qr_image, qr_url, slips_pdf

ADDRESS = "https://survey.example.kz/survey/"


def test_qr_url_puts_the_code_in_the_fragment_only():
    code = generate_code()
    url = qr_url(ADDRESS, code)
    before, _, fragment = url.partition("#")
    assert before == ADDRESS and code not in before and fragment == f"c={code}"


def test_qr_image_decodes_to_the_url_with_the_fixed_mask():
    code = generate_code()
    image = qr_image(qr_url(ADDRESS, code)).resize((400, 400), resample=0)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [qr_url(ADDRESS, code)]


def test_every_slip_on_a_page_decodes_to_its_own_printed_code():
    codes = [generate_code() for _ in range(12)]
    notes = ["Анонимный опрос.", "Анонимді сауалнама.", "Anonymous survey."]
    pdf = slips_pdf(codes, title="Весенняя волна", address=ADDRESS, notes=notes)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert all(format_code(c) in text for c in codes)
    assert all(text.count(n) == 12 for n in notes)
    found = set()
    for page in pypdfium2.PdfDocument(pdf):
        found |= {r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil())}
    assert found == {qr_url(ADDRESS, c) for c in codes}


def test_slips_without_qr_carry_no_image():
    pdf = slips_pdf([generate_code()], title="t", address=ADDRESS, qr=False)
    assert list(PdfReader(io.BytesIO(pdf)).pages[0].images) == []
