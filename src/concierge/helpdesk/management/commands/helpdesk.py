"""`manage.py helpdesk ingest FILE… --org SLUG` — feed raw messages exactly as the mailbox
does; one JSON object per message per line. `manage.py helpdesk sweep` runs the SLA and
pending sweeps once. `manage.py helpdesk inbound-token --org SLUG --user EMAIL` issues a token
for POST /api/helpdesk/inbound."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from concierge.accounts.models import Organisation, User
from concierge.helpdesk import services


class Command(BaseCommand):
    help = "Helpdesk tools: ingest raw e-mail files, run the sweeps, issue an inbound token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="Feed raw RFC 822 files (use - for stdin).")
        ingest.add_argument("files", nargs="+")
        ingest.add_argument("--org", required=True)
        sub.add_parser("sweep", help="Run the SLA and pending-ticket sweeps now.")
        token = sub.add_parser("inbound-token", help="Issue a new inbound-mail token.")
        token.add_argument("--org", required=True)
        token.add_argument("--user", required=True, help="A manager's e-mail address.")

    def handle(self, *args, action, **options):
        if action == "ingest":
            return self._ingest(options["files"], options["org"])
        if action == "sweep":
            self.stdout.write(
                json.dumps({"sla": services.sla_sweep(), "pending": services.pending_sweep()})
            )
            return None
        org = self._organisation(options["org"])
        user = User.objects.filter(email__iexact=options["user"]).first()
        if user is None:
            raise CommandError("No such user.")
        self.stdout.write(services.issue_inbound_token(actor=user, organisation=org))
        return None

    def _organisation(self, slug):
        org = Organisation.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organisation {slug!r}.")
        return org

    def _ingest(self, files, slug):
        org = self._organisation(slug)
        for name in files:
            line = {
                "file": name,
                "action": "ignored",
                "reason": "",
                "ticket": None,
                "attachments": [],
            }
            try:
                raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
                result = services.ingest_email(organisation=org, raw=raw)
                line.update(
                    action=result.action,
                    reason=result.reason,
                    ticket=result.ticket.number if result.ticket else None,
                    attachments=result.attachments,
                )
            except Exception as exc:  # one bad file never stops the others
                line["reason"] = f"error: {type(exc).__name__}: {exc}"[:300]
            self.stdout.write(json.dumps(line, ensure_ascii=False))
