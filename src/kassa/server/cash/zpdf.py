"""A stored Z as a PDF (fpdf2, pure Python): its text (cash.ztext), one monospaced line
per line, so the PDF says what the report page says."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

# The PDF core fonts are Latin-1: the few typographic characters the text uses are
# spelled in ASCII, anything else outside Latin-1 becomes "?".
_ASCII = str.maketrans({"–": "-", "—": "-", "…": "...", "€": "EUR", "’": "'"})


def _latin1(text: str) -> str:
    return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def z_pdf(lines: Sequence[str], *, title: str) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(_latin1(title))
    pdf.set_creator("Kassa")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Courier", size=9)
    for line in lines:
        pdf.cell(0, 4, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
