"""Demo data for `make run`: organisations, a user per role, then each module's own data.
Idempotent: running it again changes nothing that already exists."""

from allauth.account.models import EmailAddress
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction

from concierge.accounts.models import Membership, Organisation, User
from concierge.core.demo import DEMO_PASSWORD, LOGINS, ORGANISATIONS
from concierge.core.modules import module_configs
from concierge.notifications.models import OutboxEmail


class Command(BaseCommand):
    help = "Create demo organisations, users and module data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="*", help="Seed only these modules.")

    def handle(self, *args, only=None, **options):
        with transaction.atomic():
            self._core()
        first_new_email = (
            OutboxEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        for config in module_configs():
            if only and config.label not in only:
                continue
            self.stdout.write(f"seeding {config.label}…")
            with transaction.atomic():
                config.seed_demo(stdout=self.stdout)
        # Demo data tells demo people about demo events; that mail is not worth sending.
        OutboxEmail.objects.filter(
            pk__gt=first_new_email, status=OutboxEmail.Status.PENDING
        ).update(status=OutboxEmail.Status.SENT, last_error="demo data: not sent")
        self._print_logins()

    def _core(self) -> None:
        Site.objects.update_or_create(
            pk=1, defaults={"domain": "127.0.0.1:8000", "name": "Concierge"}
        )
        for slug, fields in ORGANISATIONS.items():
            Organisation.objects.get_or_create(slug=slug, defaults=fields)
        for login in LOGINS:
            user, created = User.objects.get_or_create(
                email=login.email,
                defaults={"display_name": login.name, "language": login.language},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                if login.key == "admin":
                    user.is_staff = user.is_superuser = True
                user.save()
            EmailAddress.objects.get_or_create(
                user=user, email=login.email, defaults={"verified": True, "primary": True}
            )
            for slug, role in login.memberships:
                Membership.objects.get_or_create(
                    user=user,
                    organisation=Organisation.objects.get(slug=slug),
                    defaults={"role": role},
                )

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password: {DEMO_PASSWORD})"))
        for login in LOGINS:
            self.stdout.write(f"  {login.email:<28} {login.what}")
