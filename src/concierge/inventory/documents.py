"""PDFs: purchase orders for suppliers and barcode / QR labels for items, batches and bins.
Bars and QR modules are drawn as rectangles, so labels stay sharp at any printer resolution."""

from __future__ import annotations

import barcode
import segno
from fpdf import FPDF

from concierge.inventory.models import Batch, Item, Location, PurchaseOrder


def _text(value) -> str:
    """fpdf's core fonts are Latin-1; keep names printable whatever the script."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _bars(pdf: FPDF, code: str, *, x: float, y: float, width: float, height: float) -> None:
    """A linear barcode: EAN-13/EAN-8/UPC-A for GTINs, Code 128 for everything else."""
    kind = {13: "ean13", 8: "ean8", 12: "upca"}.get(len(code)) if code.isdigit() else None
    try:
        symbol = barcode.get(kind or "code128", code)
    except Exception:  # a GTIN with a wrong check digit still gets a readable Code 128
        symbol = barcode.get("code128", code)
    modules = symbol.build()[0]
    step = width / len(modules)
    for i, bit in enumerate(modules):
        if bit == "1":
            pdf.rect(x + i * step, y, step, height, style="F")


def _qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    matrix = segno.make(data, error="m").matrix
    step = size / len(matrix)
    for r, row in enumerate(matrix):
        for c, on in enumerate(row):
            if on:
                pdf.rect(x + c * step, y + r * step, step, step, style="F")


LABEL_W, LABEL_H = 63.5, 38.1  # 3 × 7 labels on A4 (a common sheet)


def labels_pdf(labels: list[tuple[str, str, str]]) -> bytes:
    """labels: (title, subtitle, code). Each gets a barcode and a QR code."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(7, 15)
    per_page = 21
    for i, (title, subtitle, code) in enumerate(labels):
        if i % per_page == 0:
            pdf.add_page()
        col, row = i % 3, (i % per_page) // 3
        x, y = 7 + col * (LABEL_W + 2.5), 15 + row * LABEL_H
        pdf.set_font("Helvetica", "B", 8)
        pdf.set_xy(x + 2, y + 2)
        pdf.cell(LABEL_W - 4, 4, _text(title)[:38])
        pdf.set_font("Helvetica", "", 7)
        pdf.set_xy(x + 2, y + 6)
        pdf.cell(LABEL_W - 4, 3.5, _text(subtitle)[:44])
        _bars(pdf, code, x=x + 2, y=y + 11, width=38, height=16)
        _qr(pdf, code, x=x + LABEL_W - 21, y=y + 10, size=19)
        pdf.set_xy(x + 2, y + 28)
        pdf.set_font("Courier", "", 8)
        pdf.cell(38, 4, _text(code))
    return bytes(pdf.output())


def item_labels(items: list[Item], copies: int = 1) -> bytes:
    return labels_pdf(
        [
            (i.name, f"{i.sku}  {i.size} {i.colour}".strip(), i.gtin or i.sku)
            for i in items
            for _ in range(copies)
        ]
    )


def batch_labels(batches: list[Batch]) -> bytes:
    return labels_pdf(
        [
            (
                b.item.name,
                f"Lot {b.code}  exp {b.expires_on or '-'}",
                f"{b.item.gtin or b.item.sku}|{b.code}",
            )
            for b in batches
        ]
    )


def bin_labels(locations: list[Location]) -> bytes:
    return labels_pdf(
        [(loc.name, loc.store.name, f"LOC:{loc.store.code}:{loc.code}") for loc in locations]
    )


def purchase_order_pdf(order: PurchaseOrder) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _text(f"Purchase order {order.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in (
        f"From: {order.organisation.name}",
        f"Deliver to: {order.store.name}, {order.store.address or order.store.city}",
        f"Supplier: {order.supplier.name}",
        f"Expected by: {order.expected_on or '-'}",
    ):
        pdf.cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    widths = (30, 80, 25, 25, 30)
    for w, h in zip(widths, ("SKU", "Item", "GTIN", "Qty", "Unit cost"), strict=True):
        pdf.cell(w, 7, h, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    total = 0
    for ln in order.lines.select_related("item").order_by("item__name"):
        cells = (
            ln.item.sku,
            ln.item.name[:45],
            ln.item.gtin,
            f"{ln.quantity.normalize():f} {ln.item.unit}",
            f"{ln.unit_cost:.2f}",
        )
        for w, c in zip(widths, cells, strict=True):
            pdf.cell(w, 6, _text(c), border=1)
        pdf.ln()
        total += ln.quantity * ln.unit_cost
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(widths[:4]), 7, "Total", border=1)
    pdf.cell(widths[4], 7, f"{total:.2f} {order.organisation.currency}", border=1)
    pdf.ln(12)
    _bars(pdf, order.number, x=pdf.l_margin, y=pdf.get_y(), width=60, height=14)
    return bytes(pdf.output())
