"""Security events that only allauth/django know about are written to the audit log.
(Audit is a record, not business logic; these are the only signal receivers.)"""

from allauth.account.signals import email_changed, password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver

from concierge.core.services import audit


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from concierge.accounts.models import User

    email = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    user = User.objects.filter(email__iexact=email).first() if email else None
    audit(kind="login_failed", actor=user, request=request, summary="Failed sign-in")


@receiver(user_logged_out)
def _logged_out(sender, request=None, user=None, **kwargs):
    if user is not None:
        audit(kind="logout", actor=user, request=request, summary="Signed out")


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _mfa_changed(sender, request=None, user=None, authenticator=None, **kwargs):
    kind = getattr(authenticator, "type", "")
    audit(kind="mfa_changed", actor=user, request=request, summary=f"{kind}".strip())


@receiver(password_changed)
@receiver(password_reset)
def _password_changed(sender, request=None, user=None, **kwargs):
    audit(kind="password_changed", actor=user, request=request, summary="Password changed")


@receiver(email_changed)
def _email_changed(sender, request=None, user=None, **kwargs):
    audit(kind="email_changed", actor=user, request=request, summary="E-mail changed")
