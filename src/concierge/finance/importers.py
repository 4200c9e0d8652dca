"""Tolerant parsers for bank files: CSV, OFX/QFX (SGML and XML), QIF and CAMT.053.

Pure functions, no database: `parse_file(data, filename, mapping=None)` returns a ParsedFile
with signed amounts (money out is negative, as the account holder sees it) and row-level
errors. Strict parsers (ofxtools) reject real files — a 10-digit bank id, a header-less file —
so these read what a bank actually sends and say clearly what they could not read.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _


@dataclass
class ParsedRow:
    line: int
    on: date | None
    amount: Decimal | None
    payee: str = ""
    note: str = ""
    ref: str = ""
    currency: str = ""
    category: str = ""


@dataclass
class ParsedFile:
    format: str
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row": n|None, "message": …}
    currency: str = ""
    columns: list[str] = field(default_factory=list)  # CSV header, for the mapping preview
    mapping: dict = field(default_factory=dict)  # CSV mapping actually used
    skipped: int = 0  # lines that are not cash transactions (investments, categories…)

    def error(self, row: int | None, message: str) -> None:
        self.errors.append({"row": row, "message": message})

    @property
    def good_rows(self) -> list[ParsedRow]:
        return [r for r in self.rows if r.on is not None and r.amount is not None]

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.good_rows), Decimal("0"))


FORMATS = ("csv", "ofx", "qfx", "qif", "camt")


# --- helpers -------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 — what banks actually send."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_NUMERIC = re.compile(r"[\d.,]+")
_COMMA_DECIMAL = re.compile(r",\d{1,2}$")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_ENDS_COMMA = re.compile(r"\d,\d{1,2}$")
_ENDS_DOT = re.compile(r"\d\.\d{1,2}$")
_DEBIT = re.compile(r"\bdebit\b|\bdr\b|\bdébit\b")
_CREDIT = re.compile(r"\bcredit\b|\bcr\b|\bcrédit\b")
_CURRENCY_JUNK = re.compile(r"[£$€¥₹\s\u00a0]|EUR|USD|GBP|CHF|INR|CAD|AUD|Rs\.?", re.I)


def parse_amount(text: str, *, decimal_comma: bool | None = None) -> Decimal | None:
    """'£1,183.23' '+ £1,100.00' '-2,56' '1.234,56' "11'373.94" '(12.00)' → Decimal."""
    raw = (text or "").strip()
    if not raw:
        return None
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    raw = _CURRENCY_JUNK.sub("", raw).replace("'", "")
    if raw.endswith("-"):
        negative, raw = not negative, raw[:-1]
    if raw.startswith(("+", "-")):
        negative, raw = (raw[0] == "-") != negative, raw[1:].strip()
    if not _NUMERIC.fullmatch(raw or "x"):
        return None
    if "," in raw and "." in raw:
        decimal_comma = raw.rfind(",") > raw.rfind(".")
    elif decimal_comma is None:
        decimal_comma = bool(_COMMA_DECIMAL.search(raw)) and raw.count(",") == 1
    raw = raw.replace(".", "").replace(",", ".") if decimal_comma else raw.replace(",", "")
    if raw.count(".") > 1:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return (-value if negative else value).quantize(Decimal("0.01"))


DATE_FORMATS = [
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d/%m/%y",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d.%m.%y",
    "%b %d, %Y",
    "%d-%b-%y",
]


@functools.lru_cache(maxsize=8192)  # statements repeat dates; strptime is slow
def _try(fmt: str, text: str) -> date | None:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def pick_date_format(values: list[str], preferred: str = "") -> str | None:
    """The first format that reads every value (day-first before month-first)."""
    values = [v for v in values if v]
    candidates = ([preferred] if preferred else []) + DATE_FORMATS
    for fmt in candidates:
        if values and all(_try(fmt, v) for v in values):
            return fmt
    best, best_n = None, 0
    for fmt in candidates:
        n = sum(1 for v in values if _try(fmt, v))
        if n > best_n:
            best, best_n = fmt, n
    return best


def _clean(text: str | None) -> str:
    return _SPACES.sub(" ", (text or "")).strip()


# --- detection ---------------------------------------------------------------------------


def detect_format(text: str, filename: str = "") -> str:
    head = text.lstrip("\ufeff \r\n\t")[:4000]
    lower = filename.lower()
    if "OFXHEADER" in head[:200] or re.search(r"<OFX>", head, re.I):
        return "qfx" if lower.endswith(".qfx") else "ofx"
    if head.startswith("<?xml") or head.startswith("<Document"):
        if "camt.053" in head or "BkToCstmrStmt" in text[:20000]:
            return "camt"
        if "<OFX" in text[:20000]:
            return "qfx" if lower.endswith(".qfx") else "ofx"
        return "xml"
    if re.search(r"^!(Type|Account|Option)", head, re.M | re.I) or lower.endswith(".qif"):
        return "qif"
    return "csv"


def parse_file(data: bytes, filename: str = "", mapping: dict | None = None) -> ParsedFile:
    if not data or not data.strip():
        result = ParsedFile(format=_guess_by_name(filename))
        result.error(None, _("The file is empty."))
        return result
    text = decode(data)
    kind = detect_format(text, filename)
    if kind in ("ofx", "qfx"):
        return parse_ofx(text, kind)
    if kind == "camt":
        return parse_camt(text)
    if kind == "qif":
        return parse_qif(text)
    if kind == "xml":
        result = ParsedFile(format="xml")
        result.error(None, _("This XML file is neither CAMT.053 nor OFX."))
        return result
    return parse_csv(text, mapping=mapping)


def _guess_by_name(filename: str) -> str:
    ext = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    return {"xml": "camt", "ofx": "ofx", "qfx": "qfx", "qif": "qif"}.get(ext, "csv")


# --- OFX / QFX ---------------------------------------------------------------------------

_OFX_TXN = re.compile(
    r"<STMTTRN>(.*?)(?=</STMTTRN>|<STMTTRN>|</BANKTRANLIST>|</INVBANKTRAN>)", re.S | re.I
)


def _ofx_field(block: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>([^<\r\n]*)", block, re.I)
    return match.group(1).strip() if match else None


def _ofx_date(text: str | None) -> date | None:
    if not text:
        return None
    match = re.match(r"(\d{4})(\d{2})(\d{2})", text.strip())
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def parse_ofx(text: str, kind: str = "ofx") -> ParsedFile:
    result = ParsedFile(format=kind, currency=(_ofx_field(text, "CURDEF") or "").upper()[:3])
    if not re.search(r"<OFX>", text, re.I):
        result.error(None, _("This is not an OFX file: no <OFX> element."))
        return result
    blocks = _OFX_TXN.findall(text)
    result.skipped = len(re.findall(r"<(BUY|SELL|INCOME|REINVEST|TRANSFER)\w*>", text, re.I))
    if not blocks:
        if result.skipped:
            result.error(None, _("This investment statement has no cash transactions."))
        else:
            result.error(None, _("The file contains no transactions."))
        return result
    for n, block in enumerate(blocks, start=1):
        raw_date = _ofx_field(block, "DTPOSTED")
        raw_amount = _ofx_field(block, "TRNAMT")
        on = _ofx_date(raw_date)
        amount = None
        if raw_amount and re.fullmatch(r"[+-]?\d+(\.\d+)?|[+-]?\d*\.\d+", raw_amount.strip()):
            amount = Decimal(raw_amount.strip()).quantize(Decimal("0.01"))
        row = ParsedRow(
            line=n,
            on=on,
            amount=amount,
            payee=_clean(_ofx_field(block, "NAME") or _ofx_field(block, "PAYEE")),
            note=_clean(_ofx_field(block, "MEMO")),
            ref=_ofx_field(block, "FITID") or "",
            currency=result.currency,
        )
        if on is None:
            result.error(
                n,
                _("Transaction %(n)s has no valid date (%(value)s).")
                % {"n": n, "value": raw_date or _("missing")},
            )
        if amount is None:
            result.error(
                n,
                _("Transaction %(n)s has an amount that is not a number: %(value)s.")
                % {"n": n, "value": raw_amount or _("missing")},
            )
        result.rows.append(row)
    return result


# --- QIF -----------------------------------------------------------------------------------

_QIF_TXN_TYPES = {"bank", "cash", "ccard", "oth a", "oth l"}


def parse_qif(text: str) -> ParsedFile:
    result = ParsedFile(format="qif")
    section = ""
    records: list[tuple[int, dict]] = []
    current: dict = {}
    start = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("!"):
            if current and section in _QIF_TXN_TYPES:
                records.append((start, current))
            current = {}
            header = line[1:].strip().lower()
            if header.startswith("type:"):
                section = header[5:].strip()
            elif header.startswith("option") or header.startswith("clear"):
                pass
            else:
                section = header
            continue
        if line.startswith("^"):
            if current:
                if section in _QIF_TXN_TYPES:
                    records.append((start, current))
                elif section.startswith("invst"):
                    result.skipped += 1
            current = {}
            continue
        if not current:
            start = n
        code, value = line[0], line[1:].strip()
        if code in "SE$":  # split lines: the total in T already covers them
            current.setdefault("splits", []).append((code, value))
        elif code == "A":
            current.setdefault("A", []).append(value)
        else:
            current.setdefault(code, value)
    if current and section in _QIF_TXN_TYPES:
        records.append((start, current))
    if not records:
        result.error(None, _("The QIF file has no bank, cash or card transactions."))
        return result
    raw_dates = [_qif_date_text(rec.get("D", "")) for _, rec in records]
    fmt = pick_date_format(raw_dates, "%d/%m/%Y")
    for (line, rec), raw_date in zip(records, raw_dates, strict=True):
        on = _try(fmt, raw_date) if fmt else None
        amount = parse_amount(rec.get("T") or rec.get("U") or "", decimal_comma=False)
        row = ParsedRow(
            line=line,
            on=on,
            amount=amount,
            payee=_clean(rec.get("P")),
            note=_clean(rec.get("M")),
            ref=rec.get("N", ""),
            category=_clean(rec.get("L", "")).strip("[]"),
        )
        if on is None:
            result.error(
                line,
                _("Line %(n)s: the date %(value)s cannot be read.")
                % {"n": line, "value": rec.get("D", "") or _("missing")},
            )
        if amount is None:
            result.error(
                line,
                _("Line %(n)s: the amount %(value)s cannot be read.")
                % {"n": line, "value": rec.get("T", "") or _("missing")},
            )
        result.rows.append(row)
    return result


def _qif_date_text(value: str) -> str:
    """QIF dates: 27/08/2018, 28/8/2018, 2/10'2020, 1/ 2'98 → zero-padded with a 4-digit year."""
    value = value.replace("'", "/").replace(" ", "0").replace("-", "/").replace(".", "/")
    parts = value.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return value
    a, b, year = parts
    if len(year) == 2:
        year = ("20" if int(year) < 50 else "19") + year
    return f"{int(a):02d}/{int(b):02d}/{year}"


# --- CAMT.053 ------------------------------------------------------------------------------


def _strip_ns(root: ET.Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]


def _text(el: ET.Element | None, path: str) -> str:
    if el is None:
        return ""
    found = el.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def parse_camt(text: str) -> ParsedFile:
    result = ParsedFile(format="camt")
    if re.search(r"<!(DOCTYPE|ENTITY)", text[:5000], re.I):
        result.error(None, _("XML files with a DOCTYPE or entities are refused."))
        return result
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        result.error(None, _("The XML cannot be read: %(error)s") % {"error": exc})
        return result
    _strip_ns(root)
    statements = root.findall(".//Stmt")
    if not statements:
        result.error(None, _("This CAMT file has no statement (no <Stmt> element)."))
        return result
    n = 0
    for stmt in statements:
        result.currency = result.currency or _text(stmt, "Acct/Ccy")
        for entry in stmt.findall("Ntry"):
            n += 1
            amt_el = entry.find("Amt")
            amount = parse_amount(amt_el.text if amt_el is not None else "", decimal_comma=False)
            indicator = _text(entry, "CdtDbtInd").upper()
            if amount is not None and indicator == "DBIT":
                amount = -abs(amount)
            raw_date = (
                _text(entry, "BookgDt/Dt")
                or _text(entry, "BookgDt/DtTm")
                or _text(entry, "ValDt/Dt")
                or _text(entry, "ValDt/DtTm")
            )
            on = _try("%Y-%m-%d", raw_date[:10]) if raw_date else None
            details = entry.find("NtryDtls/TxDtls")
            if indicator == "DBIT":
                payee = _text(details, "RltdPties/Cdtr/Nm") or _text(
                    details, "RltdPties/Cdtr/Pty/Nm"
                )
            else:
                payee = _text(details, "RltdPties/Dbtr/Nm") or _text(
                    details, "RltdPties/Dbtr/Pty/Nm"
                )
            note = (
                _text(details, "RmtInf/Ustrd")
                or _text(entry, "AddtlNtryInf")
                or _text(details, "AddtlTxInf")
            )
            ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
            currency = amt_el.get("Ccy", "") if amt_el is not None else ""
            result.rows.append(
                ParsedRow(
                    line=n,
                    on=on,
                    amount=amount,
                    payee=_clean(payee),
                    note=_clean(note),
                    ref=ref,
                    currency=currency,
                )
            )
            if on is None:
                result.error(n, _("Entry %(n)s has no booking date.") % {"n": n})
            if amount is None or indicator not in ("CRDT", "DBIT"):
                result.error(
                    n, _("Entry %(n)s has no readable amount and credit/debit mark.") % {"n": n}
                )
    if not result.currency:
        result.currency = next((r.currency for r in result.rows if r.currency), "")
    if not result.rows:
        result.error(None, _("The statement contains no entries."))
    return result


# --- CSV -----------------------------------------------------------------------------------

# Header words (lower-case, several languages) → field.
HEADER_WORDS = {
    "date": [
        "date",
        "datum",
        "buchungstag",
        "date de valeur",
        "date processed",
        "fecha",
        "booking date",
        "transaction date",
        "posted date",
        "value date",
        "txn date",
        "valuta",
        "data",
        "tarih",
    ],
    "amount": [
        "amount",
        "bedrag",
        "betrag",
        "montant",
        "importe",
        "transaction amount",
        "amount (inr)",
        "value",
        "importo",
    ],
    "debit": [
        "withdrawal",
        "débit",
        "debit",
        "soll",
        "paid out",
        "money out",
        "withdrawal amt.",
        "withdrawal amount",
        "debit amount",
        "uscite",
    ],
    "credit": [
        "deposit",
        "crédit",
        "credit",
        "haben",
        "paid in",
        "money in",
        "deposit amt.",
        "deposit amount",
        "credit amount",
        "entrate",
    ],
    "payee": [
        "payee",
        "naam",
        "name",
        "description",
        "auftraggeber/empfänger",
        "desc",
        "beneficiary",
        "merchant",
        "narration",
        "description 1",
        "counterparty",
    ],
    "note": [
        "notes",
        "note",
        "memo",
        "omschrijving",
        "buchungstext",
        "vwz1",
        "details",
        "description 2",
        "reference",
        "original description",
        "remarks",
    ],
    "type": ["transaction type", "type", "dr/cr", "cr/dr", "debit/credit"],
    "currency": ["currency", "währung", "monn.", "ccy", "devise", "moneda"],
    "category": ["category", "class", "kategorie"],
}


def guess_mapping(header: list[str]) -> dict:
    lowered = [h.strip().lower() for h in header]
    mapping: dict = {}
    for fieldname, words in HEADER_WORDS.items():
        for word in words:
            if word in lowered and lowered.index(word) not in mapping.values():
                mapping[fieldname] = lowered.index(word)
                break
    if "payee" not in mapping:
        for i, h in enumerate(lowered):
            if "desc" in h or "name" in h:
                mapping["payee"] = i
                break
    if "date" not in mapping:
        for i, h in enumerate(lowered):
            if "date" in h or "datum" in h or "fecha" in h:
                mapping["date"] = i
                break
    # Separate withdrawal / deposit columns win over a single "type" guess.
    if "amount" in mapping and "debit" in mapping and "credit" in mapping:
        mapping.pop("amount")
    # A trailing unnamed column often holds "CR" (card statements).
    if "type" not in mapping and header and not header[-1].strip():
        mapping["indicator"] = len(header) - 1
    return mapping


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {
        d: len(re.findall(re.escape(d) + r'(?=(?:[^"]*"[^"]*")*[^"]*$)', first))
        for d in (",", ";", "\t", "|")
    }
    return max(counts, key=counts.get) if any(counts.values()) else ","


def parse_csv(text: str, *, mapping: dict | None = None) -> ParsedFile:
    result = ParsedFile(format="csv")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    mapping = dict(mapping or {})
    delimiter = mapping.get("delimiter") or _sniff_delimiter(text)
    rows = [
        r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    if not rows:
        result.error(None, _("The file is empty."))
        return result
    skip = int(mapping.get("skip_rows") or 0)
    rows = rows[skip:]
    header, body = rows[0], rows[1:]
    result.columns = header
    cols = {
        k: int(v)
        for k, v in mapping.items()
        if k in {*HEADER_WORDS, "indicator"} and v not in (None, "")
    }
    if not cols:
        cols = guess_mapping(header)
    result.mapping = {**cols, "delimiter": delimiter}
    if "date" not in cols or not (
        {"amount"} <= cols.keys()
        or {"debit", "credit"} <= cols.keys()
        or "debit" in cols
        or "credit" in cols
    ):
        result.error(
            None,
            _(
                "Choose which columns hold the date and the amount: the header "
                "%(header)s does not name them."
            )
            % {"header": ", ".join(header)},
        )
        return result

    def cell(row: list[str], name: str) -> str:
        i = cols.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    date_values = [cell(r, "date") for r in body]
    fmt = mapping.get("date_format") or pick_date_format(
        [v for v in date_values if _DIGIT.search(v)]
    )
    money_values = [cell(r, k) for r in body for k in ("amount", "debit", "credit")]
    decimal_comma = mapping.get("decimal_comma")
    if decimal_comma is None:
        comma = sum(1 for v in money_values if _ENDS_COMMA.search(v))
        dot = sum(1 for v in money_values if _ENDS_DOT.search(v))
        decimal_comma = comma > dot
    parsed_dates = [(_try(fmt, v) if fmt and v else None) for v in date_values]
    latest = max((d for d in parsed_dates if d), default=None)
    for offset, (row, on) in enumerate(zip(body, parsed_dates, strict=True)):
        line = offset + 2 + skip
        raw_date = cell(row, "date")
        note = cell(row, "note")
        if on is None and raw_date and not _DIGIT.search(raw_date) and latest:
            # "Pending" card lines: booked with the statement's latest date.
            on, note = latest, (note + " " + raw_date).strip()
        if "amount" in cols:
            amount = parse_amount(cell(row, "amount"), decimal_comma=decimal_comma)
            raw_amount = cell(row, "amount")
            indicator = (cell(row, "type") + " " + cell(row, "indicator")).lower()
            if amount is not None:
                if _DEBIT.search(indicator):
                    amount = -abs(amount)
                elif _CREDIT.search(indicator):
                    amount = abs(amount)
                elif "indicator" in cols and not raw_amount.lstrip().startswith(("+", "-")):
                    amount = -abs(amount)  # unsigned card purchases; credits carry CR
        else:
            debit = parse_amount(cell(row, "debit"), decimal_comma=decimal_comma)
            credit = parse_amount(cell(row, "credit"), decimal_comma=decimal_comma)
            raw_amount = cell(row, "debit") or cell(row, "credit")
            amount = None if debit is None and credit is None else ((credit or 0) - abs(debit or 0))
        payee = cell(row, "payee")
        result.rows.append(
            ParsedRow(
                line=line,
                on=on,
                amount=amount,
                payee=_clean(payee),
                note=_clean(note) if note != payee else "",
                currency=cell(row, "currency").upper()[:3],
                category=cell(row, "category"),
            )
        )
        if on is None:
            result.error(
                line,
                _("Row %(n)s: the date %(value)s cannot be read.")
                % {"n": line, "value": raw_date or _("missing")},
            )
        if amount is None:
            result.error(
                line,
                _("Row %(n)s: the amount %(value)s cannot be read.")
                % {"n": line, "value": raw_amount or _("missing")},
            )
    currencies = {r.currency for r in result.rows if r.currency}
    result.currency = currencies.pop() if len(currencies) == 1 else ""
    if not body:
        result.error(None, _("The file has a header but no rows."))
    return result
