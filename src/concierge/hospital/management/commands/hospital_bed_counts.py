"""`manage.py hospital_bed_counts [--check]`: recount the kept bed counts from the beds.

The public dashboard reads per ward × feature counts that services keep in step with every bed
movement. This command recounts them from the beds and rewrites any row that differs (after a
bulk import, or a change made outside the services); with --check it only reports and exits
with status 1 when a row is wrong. The kept review aggregates per hospital (`HospitalRating`)
are recounted and checked the same way.
"""

from django.core.management.base import BaseCommand, CommandError

from concierge.hospital.services import rebuild_bed_counts, rebuild_hospital_ratings


class Command(BaseCommand):
    help = "Recount the hospital dashboard's kept bed counts from the beds (or --check them)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="only report rows that differ; exit 1 if any"
        )

    def handle(self, *args, check: bool = False, **options):
        drift = rebuild_bed_counts(check_only=check)
        for row in drift:
            self.stdout.write(
                f"ward {row.ward_id} {row.feature or 'all beds'}: kept {row.kept or 'nothing'},"
                f" beds say {row.actual}"
            )
        ratings = rebuild_hospital_ratings(check_only=check)
        for hospital_id, kept, actual in ratings:
            self.stdout.write(f"hospital {hospital_id} reviews: kept {kept}, reviews say {actual}")
        if check and (drift or ratings):
            raise CommandError(
                f"{len(drift)} kept count rows differ from the beds, {len(ratings)} review"
                " aggregates from the reviews."
            )
        verb = "differ" if check else "rewritten"
        self.stdout.write(
            f"{len(drift)} count rows and {len(ratings)} review aggregates {verb}; everything"
            " else matches."
        )
