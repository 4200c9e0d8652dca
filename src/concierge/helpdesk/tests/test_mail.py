"""Inbound e-mail: every real message in shared data (facts.json), malformed bytes, threading,
auto-replies, bounces, loops, attachments, the command and IMAP polling without a server."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from concierge.helpdesk import services
from concierge.helpdesk.mail import parse_message
from concierge.helpdesk.mailbox import poll
from concierge.helpdesk.models import InboundMail, Ticket


@pytest.fixture
def mail_dir(shared_data):
    return shared_data / "mail"


@pytest.fixture
def facts(mail_dir):
    return json.loads((mail_dir / "facts.json").read_text())


def test_every_real_message_matches_its_facts(mail_dir, facts):
    files = sorted(mail_dir.glob("*.eml"))
    assert len(files) >= 28
    for path in files:
        fact = facts.get(path.name)
        parsed = parse_message(path.read_bytes())
        if fact is None:  # a held-back message: it must parse, nothing more is known
            continue
        name = path.name
        if fact["from"] is not None and not str(fact["from"]).startswith("RAISES"):
            assert parsed.sender == fact["from"], name
        assert parsed.subject == (fact["subject"] or ""), name
        assert parsed.message_id == (fact["message_id"] or ""), name
        assert bool(parsed.in_reply_to) == fact["in_reply_to"], name
        assert bool(parsed.references) == fact["references"], name
        assert parsed.standard_auto == fact["is_auto"], name
        assert bool(parsed.bounce_reason) == fact["is_bounce"], name
        assert parsed.attachment_names == fact["attachments"], name
        assert parsed.inline_names == fact["inline_named"], name


def test_charsets_decode_to_real_text(mail_dir):
    def text(name):
        return parse_message((mail_dir / name).read_bytes()).text

    assert "шостий" in text("mimekit__ukr.eml")  # koi8-r
    assert "このメールはテスト用" in text("rubymail__japanese_shift_jis.eml")  # Shift_JIS 8bit
    assert "增值税发票" in text("spamscope__mail_test_12.eml")  # mislabelled UTF-8
    assert "Frösche" in text("zbateson__m2003.eml")  # HTML-only iso-8859-1
    assert "नमस्कार" in text("sisimai__lhost-googlegroups-11.eml")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"From: \xff\xfe\r\nSubject: =?bogus?Q?x?=\r\n\r\nbody",
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nbroken',
        b"From: a@b.c\r\nContent-Type: text/plain; charset=does-not-exist\r\n\r\n\xe9t\xe9",
        b"Subject: " + b"=?utf-8?B?" + b"A" * 5000 + b"?=\r\n\r\nx",
    ],
)
def test_malformed_bytes_never_raise(org, raw):
    parse_message(raw)
    result = services.ingest_email(organisation=org, raw=raw)
    assert result.action in {"ticket", "ignored"}


def test_auto_replies_bounces_and_loops_are_ignored_with_reason(org, mail_dir):
    services.settings_for(org)
    for name, reason in [
        ("sisimai__rfc3834-01.eml", "auto-reply"),
        ("sisimai__rfc3834-03.eml", "auto-reply"),
        ("flanker__mailbox-full.eml", "bounce"),
        ("flanker__gmail-invalid-address.eml", "bounce"),
        ("mimekit__delivery-status.eml", "bounce"),
    ]:
        result = services.ingest_email(organisation=org, raw=(mail_dir / name).read_bytes())
        assert result.action == "ignored" and result.reason.startswith(reason), name
    cfg = services.settings_for(org)
    cfg.support_address = "support@acme.example"
    cfg.save()
    loop = b"From: support@acme.example\r\nSubject: Re: x\r\n\r\nhello"
    assert services.ingest_email(organisation=org, raw=loop).reason.startswith("loop")
    assert not Ticket.objects.exists()
    assert InboundMail.objects.filter(action="ignored").count() == 6


def test_new_ticket_with_rfc2231_attachment(org, mail_dir):
    result = services.ingest_email(
        organisation=org, raw=(mail_dir / "zbateson__m3004.eml").read_bytes()
    )
    assert result.action == "ticket"
    t = result.ticket
    assert t.subject == "Die Hasen und die Frösche" and t.channel == "email"
    assert t.customer is None and t.customer_email == "doug@penguin.example.com"
    att = t.messages.get().attachments.get()
    assert att.name == "HasenundFrösche.txt"
    assert "Frösche" in att.file.read().decode("latin-1")


def _reply_to(message_id: str, subject: str, frm="doug@penguin.example.com") -> bytes:
    return (
        f"From: {frm}\r\nSubject: {subject}\r\nMessage-ID: <r{abs(hash(subject))}@x>\r\n"
        f"In-Reply-To: {message_id}\r\nReferences: {message_id}\r\n\r\nThanks!"
    ).encode()


def test_replies_thread_by_headers_and_by_reference(org, mail_dir, agent, queue):
    first = services.ingest_email(
        organisation=org, raw=(mail_dir / "zbateson__m3004.eml").read_bytes()
    ).ticket
    r = services.ingest_email(organisation=org, raw=_reply_to(first.email_message_id, "Re: x"))
    assert (r.action, r.ticket) == ("reply", first)
    by_ref = (
        f"From: doug@penguin.example.com\r\nSubject: Re: [#{first.number}] hello\r\n"
        "Message-ID: <other@x>\r\n\r\nMore"
    ).encode()
    r = services.ingest_email(organisation=org, raw=by_ref)
    assert (r.action, r.ticket) == ("reply", first)
    assert first.messages.count() == 3
    # the same message delivered twice is stored once
    assert services.ingest_email(organisation=org, raw=by_ref).reason == "duplicate Message-ID"


def test_agent_reply_by_email_counts_as_first_response(org, agent, queue):
    raw = b"From: c@example.com\r\nSubject: Help\r\nMessage-ID: <m1@x>\r\n\r\nPlease help"
    t = services.ingest_email(organisation=org, raw=raw).ticket
    reply = (
        f"From: {agent.email}\r\nSubject: Re: Help\r\nMessage-ID: <m2@x>\r\n"
        "In-Reply-To: <m1@x>\r\n\r\nDone"
    ).encode()
    services.ingest_email(organisation=org, raw=reply)
    t.refresh_from_db()
    assert t.first_response_at is not None
    assert t.messages.filter(from_agent=True).count() == 1


def test_oversized_attachment_dropped_and_noted(org):
    cfg = services.settings_for(org)
    cfg.max_attachment_bytes = 10
    cfg.save()
    raw = (
        b"From: c@example.com\r\nSubject: Big\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain"
        b"\r\n\r\nsee file\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: "
        b"attachment; filename=big.txt\r\n\r\n" + b"x" * 100 + b"\r\n--b--\r\n"
    )
    result = services.ingest_email(organisation=org, raw=raw)
    assert result.action == "ticket" and result.attachments == []
    assert "big.txt" in result.ticket.messages.get().body


def test_ingest_command_prints_one_json_line_per_file(org, mail_dir, tmp_path):
    broken = tmp_path / "broken.eml"
    broken.write_bytes(b"\x00\x01\x02")
    files = [
        str(mail_dir / "zbateson__m3004.eml"),
        str(tmp_path / "missing.eml"),
        str(broken),
        str(mail_dir / "sisimai__rfc3834-01.eml"),
    ]
    out = StringIO()
    call_command("helpdesk", "ingest", *files, "--org", org.slug, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["file"] for line in lines] == files
    assert lines[0]["action"] == "ticket" and lines[0]["attachments"] == ["HasenundFrösche.txt"]
    assert lines[1]["action"] == "ignored" and "FileNotFoundError" in lines[1]["reason"]
    assert lines[3]["reason"].startswith("auto-reply")
    assert set(lines[0]) == {"file", "action", "reason", "ticket", "attachments"}


class FakeImap:
    def __init__(self, messages):
        self.messages = messages
        self.seen = []

    def login(self, user, password):
        return "OK", [b""]

    def select(self, folder):
        return "OK", [b"1"]

    def search(self, charset, criterion):
        return "OK", [b" ".join(str(i + 1).encode() for i in range(len(self.messages)))]

    def fetch(self, num, what):
        return "OK", [(b"1 (RFC822 {n})", self.messages[int(num) - 1]), b")"]

    def store(self, num, flags, flag):
        self.seen.append(num)

    def logout(self):
        pass


def test_imap_polling_without_a_server(org, mail_dir):
    cfg = services.settings_for(org)
    cfg.imap_host = "imap.example"
    box = FakeImap(
        [
            (mail_dir / "zbateson__m3004.eml").read_bytes(),
            b"\xff garbage",
            (mail_dir / "flanker__mailbox-full.eml").read_bytes(),
        ]
    )
    results = poll(cfg, connect=lambda: box)
    assert [r.action for r in results] == ["ticket", "ignored", "ignored"]
    assert box.seen == [b"1", b"2", b"3"]
