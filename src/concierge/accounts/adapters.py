"""allauth hooks: mail through the outbox, sign-ins recorded."""

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Verification and reset mail goes through the outbox like every other e-mail."""
        from concierge.notifications.services import queue_email

        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []) or []:
            if mimetype == "text/html":
                html = content
        with transaction.atomic():
            queue_email(
                to=list(message.to),
                subject=message.subject,
                text=message.body,
                html=html,
                event=f"accounts.{template_prefix.rsplit('/', 1)[-1]}",
            )

    def login(self, request, user):
        from concierge.accounts.services import record_login

        super().login(request, user)
        record_login(user=user, request=request)
