"""manage.py inventory_rebuild [--check] [--store ID]: prove (or make) the kept stock tables
agree with the ledger."""

import time

from django.core.management.base import BaseCommand, CommandError

from concierge.inventory import ledger


class Command(BaseCommand):
    help = "Check or rebuild stock levels from the movement ledger."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare; exit with an error if anything differs.",
        )
        parser.add_argument("--store", type=int, help="Limit to one store id.")

    def handle(self, *args, check=False, store=None, **options):
        started = time.perf_counter()
        report = ledger.check(store_id=store) if check else ledger.rebuild(store_id=store)
        took = time.perf_counter() - started
        self.stdout.write(
            f"{report.levels_checked} ledger groups, {report.stocks_checked} item×store rows "
            f"checked in {took:.1f}s; {len(report.level_diffs)} level and "
            f"{len(report.stock_diffs)} item×store differences."
        )
        for key, have, want in (report.level_diffs + report.stock_diffs)[:20]:
            self.stdout.write(f"  {key}: kept {have}, ledger says {want}")
        if check and not report.ok:
            raise CommandError("Stock levels disagree with the ledger; run without --check.")
        if not check and not report.ok:
            self.stdout.write(self.style.SUCCESS("Rebuilt from the ledger."))
        elif report.ok:
            self.stdout.write(self.style.SUCCESS("Stock levels agree with the ledger."))
