"""`manage.py finance import FILE… --user EMAIL [--account NAME] [--dry-run]`

Prints one JSON object per file per line; exits non-zero when any file was refused.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from concierge.finance import importers, services
from concierge.finance.models import Account


class Command(BaseCommand):
    help = "Finance tools: import bank files (CSV, OFX/QFX, QIF, CAMT.053)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import bank files into one account.")
        imp.add_argument("files", nargs="+")
        imp.add_argument("--user", required=True, help="The owner's e-mail address.")
        imp.add_argument("--account", default="", help="Account name (created if missing).")
        imp.add_argument("--dry-run", action="store_true")

    def handle(self, *args, action=None, files=(), user="", account="", dry_run=False, **options):
        from concierge.accounts.models import User

        owner = User.objects.filter(email__iexact=user).first()
        if owner is None:
            raise CommandError(f"No user with the e-mail address {user!r}.")
        services.ensure_profile(user=owner)
        refused = False
        for name in files:
            path = Path(name)
            if not path.is_file():
                line = {
                    "file": name,
                    "format": "",
                    "rows": 0,
                    "imported": 0,
                    "duplicates": 0,
                    "sum": "0.00",
                    "errors": [{"row": None, "message": "File not found."}],
                }
                refused = True
                self.stdout.write(json.dumps(line, ensure_ascii=False))
                continue
            data = path.read_bytes()
            target = self._account(owner, account or "Imported", data, path.name, dry_run)
            if target is None:  # dry run into an account that does not exist yet
                parsed = importers.parse_file(data, path.name)
                result = services.ImportResult(
                    file=path.name,
                    format=parsed.format,
                    rows=len(parsed.rows),
                    imported=len(parsed.good_rows),
                    sum=parsed.total,
                    errors=parsed.errors,
                )
                if not parsed.good_rows and not parsed.errors:
                    result.errors = [{"row": None, "message": "The file contains no transactions."}]
            else:
                result = services.import_file(
                    user=owner, account=target, data=data, filename=path.name, dry_run=dry_run
                )
            refused = refused or bool(result.errors)
            out = result.as_dict()
            out["file"] = str(name)
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        if refused:
            sys.exit(1)

    def _account(self, owner, name, data, filename, dry_run):
        found = Account.objects.filter(owner=owner, name__iexact=name).first()
        if found is not None or dry_run:
            return found
        currency = importers.parse_file(data, filename).currency or owner.currency
        return services.create_account(user=owner, name=name, currency=currency)
