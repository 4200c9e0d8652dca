"""The monthly/yearly report as CSV and PDF.

PDF text in Hindi or Tamil needs a Unicode font: Noto Sans (+ Devanagari, Tamil) from the
system's fonts-noto is used when present, with HarfBuzz shaping when `uharfbuzz` is
installed. Without those fonts the PDF falls back to English labels (core Helvetica), and
non-Latin payee names are transliterated to '?' by that font — said on the page itself.
"""

from __future__ import annotations

import contextlib
import csv
import logging
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _

logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatter

FONT_DIRS = [
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/noto"),
    Path("/usr/share/fonts/opentype/noto"),
]
FONTS = {
    "base": "NotoSans-Regular.ttf",
    "bold": "NotoSans-Bold.ttf",
    "deva": "NotoSansDevanagari-Regular.ttf",
    "taml": "NotoSansTamil-Regular.ttf",
}


def _find_font(name: str) -> Path | None:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    return None


def write_csv(stream, rep, *, currency: str) -> None:
    writer = csv.writer(stream)
    writer.writerow([_("Report"), f"{rep.start} – {rep.end}", currency])
    writer.writerow([_("Income"), rep.income, _("Previous"), rep.prev_income])
    writer.writerow([_("Spending"), rep.expense, _("Previous"), rep.prev_expense])
    writer.writerow([_("Saved"), rep.saved, _("Previous"), rep.prev_saved])
    for title, rows in (
        (_("Category"), rep.by_category),
        (_("Sub-category"), rep.by_subcategory),
        (_("Payee"), rep.by_payee),
        (_("Tag"), rep.by_tag),
    ):
        writer.writerow([])
        writer.writerow([title, _("This period"), _("Previous period"), _("Change")])
        for row in rows:
            writer.writerow([row.name, row.amount, row.previous, row.change])


def build_pdf(rep, *, user) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    base = _find_font(FONTS["base"])
    unicode_ok = base is not None
    language = user.language or "en"
    if unicode_ok:
        pdf.add_font("noto", "", str(base))
        bold = _find_font(FONTS["bold"])
        pdf.add_font("noto", "B", str(bold or base))
        fallbacks = []
        for key in ("deva", "taml"):
            path = _find_font(FONTS[key])
            if path:
                pdf.add_font(key, "", str(path))
                pdf.add_font(key, "B", str(path))
                fallbacks.append(key)
        pdf.set_fallback_fonts(fallbacks)
        with contextlib.suppress(Exception):  # no uharfbuzz: glyphs still show, unshaped
            pdf.set_text_shaping(True)
        family = "noto"
    else:
        family = "helvetica"
        language = "en"  # core fonts cannot draw Devanagari or Tamil
    with translation.override(language):
        pdf.add_page()
        pdf.set_font(family, "B", 16)
        title = _("Money report") + f" {rep.start:%Y-%m-%d} – {rep.end:%Y-%m-%d}"
        pdf.cell(0, 10, _safe(title, unicode_ok), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        pdf.cell(
            0, 6, _safe(f"{user.name} · {user.currency}", unicode_ok), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(3)
        _table(
            pdf,
            family,
            unicode_ok,
            ["", _("This period"), _("Previous period")],
            [
                [_("Income"), rep.income, rep.prev_income],
                [_("Spending"), rep.expense, rep.prev_expense],
                [_("Saved"), rep.saved, rep.prev_saved],
            ],
        )
        for title, rows in (
            (_("By category"), rep.by_category),
            (_("By payee"), rep.by_payee),
            (_("By tag"), rep.by_tag),
        ):
            if not rows:
                continue
            pdf.ln(4)
            pdf.set_font(family, "B", 12)
            pdf.cell(0, 8, _safe(title, unicode_ok), new_x="LMARGIN", new_y="NEXT")
            _table(
                pdf,
                family,
                unicode_ok,
                ["", _("This period"), _("Previous period"), _("Change")],
                [[r.name, r.amount, r.previous, r.change] for r in rows[:25]],
            )
        if not unicode_ok:
            pdf.ln(4)
            pdf.set_font(family, "", 8)
            pdf.multi_cell(
                0,
                5,
                "No Unicode font was found on this server: labels are in "
                "English and non-Latin names are shown as '?'.",
            )
    return bytes(pdf.output())


def _safe(text: str, unicode_ok: bool) -> str:
    text = str(text)
    return text if unicode_ok else text.encode("latin-1", "replace").decode("latin-1")


def _table(pdf, family: str, unicode_ok: bool, headers: list[str], rows: list[list]) -> None:
    widths = [80, 36, 36, 36][: len(headers)]
    pdf.set_font(family, "B", 9)
    for w, h in zip(widths, headers, strict=True):
        pdf.cell(w, 7, _safe(h, unicode_ok), border="B", align="L" if w == 80 else "R")
    pdf.ln()
    pdf.set_font(family, "", 9)
    for row in rows:
        for i, (w, v) in enumerate(zip(widths, row, strict=True)):
            text = str(v)[:45] if i == 0 else f"{v:,.2f}"
            pdf.cell(w, 6, _safe(text, unicode_ok), align="L" if i == 0 else "R")
        pdf.ln()
