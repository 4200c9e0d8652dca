"""Parse one raw RFC 822 message into what the helpdesk needs: sender, decoded subject,
threading ids, text, attachments, and whether it is an auto-reply or a bounce.

Uses `email` with `policy.default`, and falls back (legacy header decoding, raw regexes,
byte decoding through a list of charsets) wherever a broken header or charset would raise —
a malformed message must never stop the mailbox."""

from __future__ import annotations

import email
import email.header
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

MAX_SUBJECT = 255
LONG_HEADER = 4000  # beyond this, the modern header parser is slow; decode the legacy way
_ADDR = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")
_MSGID = re.compile(r"<[^<>\s]+>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|"
    r"abwesenheitsnotiz|autoreply|vacation)\b",
    re.I,
)
_TAGS = re.compile(r"<[^>]+>")
_STYLE = re.compile(r"<(style|script|head)[^>]*>.*?</\1>", re.I | re.S)
FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")


@dataclass
class ParsedAttachment:
    filename: str  # always a usable name
    original_name: str | None  # what the message said (None when it gave none)
    content: bytes
    content_type: str
    inline: bool


@dataclass
class ParsedMail:
    sender: str = ""  # decoded From header as written
    sender_email: str = ""
    sender_name: str = ""
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reason: str = ""  # why it is an auto-reply ("" = it is not)
    standard_auto: bool = False  # RFC 3834 / de-facto headers only
    bounce_reason: str = ""
    defects: list[str] = field(default_factory=list)

    @property
    def attachment_names(self) -> list[str | None]:
        return [a.original_name for a in self.attachments if not a.inline]

    @property
    def inline_names(self) -> list[str]:
        return [a.original_name for a in self.attachments if a.inline and a.original_name]


def _raw_header(msg: EmailMessage, name: str) -> str | None:
    for key, value in getattr(msg, "_headers", []):
        if key.lower() == name.lower():
            return value if isinstance(value, str) else str(value)
    return None


def _legacy_decode(raw: str) -> str:
    try:
        parts = email.header.decode_header(raw)
    except Exception:
        return raw
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(_decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    # decode_header keeps the whitespace between encoded-words and plain text as-is
    return "".join(out)


def header(msg: EmailMessage, name: str) -> str:
    """The decoded header value, or "" when absent; never raises."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    if len(raw) > LONG_HEADER:
        value = _legacy_decode(re.sub(r"\r?\n[ \t]", " ", raw))
    else:
        try:
            value = str(msg[name])
        except Exception:
            value = _legacy_decode(raw)
    # raw 8-bit bytes in headers arrive surrogate-escaped; turn them back into text
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value.replace("\r", "").replace("\n", " ")


def _decode_bytes(payload: bytes, charset: str | None) -> str:
    for cs in (charset, *FALLBACK_CHARSETS):
        if not cs:
            continue
        try:
            return payload.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", "replace")


def part_text(part) -> str:
    """A text part's content as str. The declared charset is tried strictly first; when the
    bytes do not fit it (mislabelled mail is common), UTF-8, then cp1252, then Latin-1."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return _decode_bytes(payload, part.get_content_charset())
    try:
        content = part.get_content()
        return content if isinstance(content, str) else _decode_bytes(content, None)
    except Exception:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""


def html_to_text(markup: str) -> str:
    text = _STYLE.sub(" ", markup)
    text = re.sub(r"<br\s*/?>|</p>|</div>|</tr>|</h\d>", "\n", text, flags=re.I)
    text = html.unescape(_TAGS.sub("", text))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _addresses(msg: EmailMessage) -> tuple[str, str, str]:
    """(decoded From, address, display name)."""
    decoded = header(msg, "From")
    address, name = "", ""
    try:
        addrs = msg["From"].addresses if msg["From"] is not None else ()
        if addrs:
            address = addrs[0].addr_spec or ""
            name = addrs[0].display_name or ""
    except Exception:
        pass
    if "@" not in address or address.startswith("@"):
        found = _ADDR.findall(decoded)
        address = found[-1] if found else ""
        name = decoded.split("<")[0].strip().strip('"') if "<" in decoded else ""
    if any("\udc80" <= ch <= "\udcff" for ch in address + name):
        address = address.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return decoded, address.strip().strip("<>").lower()[:254], name[:200]


def _auto_reason(msg: EmailMessage, subject: str) -> tuple[str, bool]:
    """RFC 3834 and de-facto auto-reply headers (standard), then vendor evidence."""
    auto_submitted = header(msg, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}", True
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _raw_header(msg, name) is not None:
            return f"{name}: {header(msg, name)}", True
    precedence = header(msg, "Precedence").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}", True
    apple = header(msg, "X-Apple-Action").lower()
    if apple.startswith("vacation"):
        return "X-Apple-Action: VACATION", False
    for name in ("X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply", "X-Autoresponder"):
        if _raw_header(msg, name) is not None:
            return name, False
    return_path = header(msg, "Return-Path").replace(" ", "")
    if _AUTO_SUBJECT.search(subject) and return_path == "<>":
        return "auto-reply subject with empty Return-Path", False
    return "", False


def _bounce_reason(msg: EmailMessage, sender: str) -> str:
    try:
        ctype = msg.get_content_type()
        report = (msg.get_param("report-type") or "").lower()
    except Exception:
        ctype, report = "", ""
    if ctype == "multipart/report" and report == "delivery-status":
        return "multipart/report; report-type=delivery-status"
    if _raw_header(msg, "X-Failed-Recipients") is not None:
        return "X-Failed-Recipients"
    lowered = sender.lower()
    if "mailer-daemon" in lowered or "postmaster" in lowered:
        return "sent by mailer-daemon/postmaster"
    return ""


def _safe_name(name: str | None, content_type: str, index: int) -> str:
    if name:
        cleaned = re.sub(r"[\\/\x00-\x1f]", "_", name).strip(" .")[:200]
        if cleaned:
            return cleaned
    ext = {
        "message/rfc822": ".eml",
        "application/pdf": ".pdf",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "text/plain": ".txt",
    }.get(content_type, ".bin")
    return f"attachment-{index}{ext}"


def _part_bytes(part) -> bytes:
    if part.get_content_type() == "message/rfc822" or part.is_multipart():
        try:
            return part.as_bytes(policy=policy.default.clone(linesep="\r\n"))
        except Exception:
            return str(part).encode("utf-8", "replace")
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _walk(msg: EmailMessage, out: ParsedMail) -> None:
    texts_plain, texts_html = [], []
    index = 0

    def visit(part, inside_attachment=False):
        nonlocal index
        try:
            disposition = part.get_content_disposition()
        except Exception:
            disposition = None
        ctype = part.get_content_type()
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        if disposition == "attachment" or (filename and not part.is_multipart()):
            index += 1
            out.attachments.append(
                ParsedAttachment(
                    filename=_safe_name(filename, ctype, index),
                    original_name=filename,
                    content=_part_bytes(part),
                    content_type=ctype,
                    inline=disposition != "attachment",
                )
            )
            return
        if ctype == "message/rfc822" and not inside_attachment:
            # a forwarded message shown inline: read its text too
            for sub in part.iter_parts() if hasattr(part, "iter_parts") else []:
                visit(sub, True)
            return
        if part.is_multipart():
            try:
                children = list(part.iter_parts())
            except Exception:
                children = []
            if not children:
                # declared multipart but no boundary found: treat the body as text
                raw = part.get_payload()
                if isinstance(raw, str) and raw.strip():
                    texts_plain.append(
                        raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                    )
            for sub in children:
                visit(sub, inside_attachment)
            return
        if ctype == "text/plain":
            texts_plain.append(part_text(part))
        elif ctype == "text/html":
            texts_html.append(part_text(part))

    visit(msg)
    if texts_plain:
        out.text = "\n\n".join(t.strip() for t in texts_plain if t and t.strip())
    elif texts_html:
        out.text = "\n\n".join(html_to_text(t) for t in texts_html)
    out.text = out.text.replace("\r\n", "\n").replace("\x00", "")[:100_000]


def parse_message(raw: bytes) -> ParsedMail:
    """Parse `raw` bytes; every step degrades gracefully instead of raising."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    msg = email.message_from_bytes(raw, policy=policy.default)
    out = ParsedMail()
    out.defects = [type(d).__name__ for d in getattr(msg, "defects", [])]
    out.sender, out.sender_email, out.sender_name = _addresses(msg)
    out.subject = header(msg, "Subject")
    ids = _MSGID.findall(header(msg, "Message-ID"))
    out.message_id = ids[0] if ids else ""
    irt = _MSGID.findall(header(msg, "In-Reply-To"))
    out.in_reply_to = irt[0] if irt else ""
    out.references = _MSGID.findall(header(msg, "References"))[-20:]
    out.bounce_reason = _bounce_reason(msg, out.sender)
    out.auto_reason, out.standard_auto = _auto_reason(msg, out.subject)
    try:
        _walk(msg, out)
    except Exception:  # a structure too broken to walk: keep whatever text we can
        payload = msg.get_payload()
        out.text = payload if isinstance(payload, str) else ""
    # NUL bytes are legal in mail but not in PostgreSQL text columns.
    for name in (
        "sender",
        "sender_email",
        "sender_name",
        "subject",
        "message_id",
        "in_reply_to",
        "text",
    ):
        setattr(out, name, getattr(out, name).replace("\x00", ""))
    out.references = [r.replace("\x00", "") for r in out.references]
    return out
