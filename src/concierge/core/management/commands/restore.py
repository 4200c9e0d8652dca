from django.core.management.base import BaseCommand, CommandError

from concierge.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup`, replacing the database's contents."

    def add_arguments(self, parser):
        parser.add_argument("source")
        parser.add_argument("--to", dest="database_url", help="Restore into this DATABASE_URL.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, source, database_url=None, yes=False, **options):
        if not yes and input("This replaces the database's contents. Type 'yes': ") != "yes":
            raise CommandError("Restore cancelled.")
        try:
            restore(source=source, database_url=database_url)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("Restored."))
