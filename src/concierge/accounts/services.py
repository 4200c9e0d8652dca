"""Account, organisation and membership use cases."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from concierge.accounts.models import (
    ApiToken,
    Invitation,
    KnownDevice,
    Membership,
    Organisation,
    Role,
    User,
)
from concierge.core.permissions import require
from concierge.core.services import audit

PROFILE_FIELDS = {"display_name", "language", "timezone", "currency", "email_digest"}
INVITATION_DAYS = 14


# --- profile -------------------------------------------------------------------------------
@transaction.atomic
def update_profile(*, user: User, **changes: Any) -> User:
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in unknown})
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=list(changes))
    return user


# --- sign-in -------------------------------------------------------------------------------
DEVICE_COOKIE = "cg_device"


def _describe_browser(user_agent: str) -> str:
    ua = user_agent or ""
    browser = next(
        (
            name
            for key, name in [
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
            ]
            if key in ua
        ),
        "a browser",
    )
    system = next(
        (
            name
            for key, name in [
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS", "macOS"),
                ("Linux", "Linux"),
            ]
            if key in ua
        ),
        "an unknown system",
    )
    return f"{browser} on {system}"


@transaction.atomic
def record_login(*, user: User, request) -> bool:
    """Audit the sign-in; tell the user when it comes from a browser not seen before.
    Returns True for a new browser (the caller sets the device cookie)."""
    from concierge.notifications.services import notify

    audit(kind="login", actor=user, request=request, summary=_("Signed in"))
    device_id = request.COOKIES.get(DEVICE_COOKIE) or ""
    user_agent = request.headers.get("User-Agent", "")[:255]
    if device_id and KnownDevice.objects.filter(user=user, device_id=device_id).exists():
        KnownDevice.objects.filter(user=user, device_id=device_id).update(
            last_seen_at=timezone.now()
        )
        return False
    device_id = device_id or secrets.token_urlsafe(24)
    first_ever = not KnownDevice.objects.filter(user=user).exists()
    KnownDevice.objects.create(user=user, device_id=device_id, user_agent=user_agent)
    request.new_device_id = device_id
    if not first_ever:  # the browser used to sign up is not "new"
        notify(
            user,
            "accounts.new_sign_in",
            {
                "browser": _describe_browser(user_agent),
                "when": timezone.localtime(timezone.now()).strftime("%Y-%m-%d %H:%M %Z"),
                "ip": request.META.get("REMOTE_ADDR", ""),
            },
            url=reverse("accounts:security"),
        )
    return True


# --- organisations -------------------------------------------------------------------------
def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_organisation(*, owner: User, name: str, kind: str, **fields: Any) -> Organisation:
    """Create an organisation; its creator becomes its first admin."""
    org = Organisation(
        name=name.strip(), kind=kind, slug=fields.pop("slug", "") or _unique_slug(name), **fields
    )
    org.full_clean()
    org.save()
    Membership.objects.create(user=owner, organisation=org, role=Role.ADMIN)
    audit(kind="member_added", actor=owner, organisation=org, summary=f"{owner.email} (admin)")
    return org


@transaction.atomic
def update_organisation(*, actor: User, organisation: Organisation, **fields: Any) -> Organisation:
    require(actor, "accounts.change_organisation", organisation)
    for field, value in fields.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def add_member(
    *, organisation: Organisation, user: User, role: str, actor: User | None = None
) -> Membership:
    """Used by invitations, seeding and module sign-up flows (customers join themselves)."""
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if created:
        audit(
            kind="member_added",
            actor=actor or user,
            organisation=organisation,
            summary=f"{user.email} ({role})",
        )
    return membership


@transaction.atomic
def invite_member(*, actor: User, organisation: Organisation, email: str, role: str) -> Invitation:
    from concierge.notifications.services import queue_email

    require(actor, "accounts.manage_members", organisation)
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=actor,
        token=secrets.token_urlsafe(32),
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    link = settings.SITE_URL.rstrip("/") + reverse(
        "accounts:accept_invitation", args=[invitation.token]
    )
    text = _(
        "%(inviter)s invited you to join %(org)s on Concierge as %(role)s.\n\n"
        "Accept the invitation: %(link)s\n\nThe link is valid for %(days)s days."
    ) % {
        "inviter": actor.name,
        "org": organisation.name,
        "role": Role(role).label,
        "link": link,
        "days": INVITATION_DAYS,
    }
    queue_email(
        to=[email],
        subject=_("Invitation to %(org)s") % {"org": organisation.name},
        text=text,
        event="accounts.invitation",
    )
    return invitation


@transaction.atomic
def accept_invitation(*, user: User, token: str) -> Membership:
    invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or invitation.accepted_at or invitation.expires_at < timezone.now():
        raise ValidationError(_("This invitation is no longer valid."))
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(_("This invitation was sent to another e-mail address."))
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    if not created:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    audit(
        kind="member_added",
        actor=user,
        organisation=invitation.organisation,
        summary=f"{user.email} ({invitation.role})",
    )
    return membership


def _admins_left_after(membership: Membership) -> int:
    return (
        Membership.objects.filter(organisation=membership.organisation, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    require(actor, "accounts.manage_members", membership.organisation)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.ADMIN and role != Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError(_("An organisation needs at least one admin."))
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        kind="role_changed",
        actor=actor,
        organisation=membership.organisation,
        summary=f"{membership.user.email}: {old} → {role}",
    )
    return membership


@transaction.atomic
def remove_member(*, actor: User, membership: Membership) -> None:
    """An admin removes someone, or a member leaves. The last admin cannot leave.
    Records the person created (tickets, stays, movements) stay with the organisation."""
    if actor != membership.user:
        require(actor, "accounts.manage_members", membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError(_("You are the last admin: make someone else admin first."))
    audit(
        kind="member_removed",
        actor=actor,
        organisation=membership.organisation,
        summary=membership.user.email,
    )
    membership.delete()


# --- API tokens ----------------------------------------------------------------------------
TOKEN_PREFIX = "cg_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    plain: str  # shown once, never stored


@transaction.atomic
def create_api_token(*, user: User, name: str, request=None) -> NewToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, secret_hash=_hash(secret)
    )
    audit(kind="token_created", actor=user, request=request, summary=name[:100])
    return NewToken(token=token, plain=f"{TOKEN_PREFIX}{prefix}_{secret}")


@transaction.atomic
def revoke_api_token(*, user: User, token_id: int, request=None) -> None:
    token = ApiToken.objects.get(user=user, pk=token_id, revoked_at__isnull=True)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(kind="token_revoked", actor=user, request=request, summary=token.name)


def user_for_token(plain: str) -> User | None:
    """The active user a personal access token belongs to, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or plain.count("_") < 2:
        return None
    prefix, _sep, secret = plain[len(TOKEN_PREFIX) :].partition("_")
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not secrets.compare_digest(token.secret_hash, _hash(secret)):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or timezone.now() - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


# --- personal data -------------------------------------------------------------------------
def export_personal_data(*, user: User, request=None) -> dict[str, Any]:
    """Everything Concierge holds about the user, module by module (JSON-ready)."""
    from concierge.core.modules import module_configs
    from concierge.feedback.models import Rating
    from concierge.notifications.models import Notification

    audit(kind="export", actor=user, request=request, summary=_("Personal data exported"))
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "language": user.language,
            "timezone": user.timezone,
            "currency": user.currency,
            "date_joined": user.date_joined.isoformat(),
        },
        "memberships": [
            {"organisation": m.organisation.name, "role": m.role, "since": m.created_at.isoformat()}
            for m in user.memberships.select_related("organisation")
        ],
        "notifications": [
            {
                "event": n.event,
                "title": n.title,
                "body": n.body,
                "created_at": n.created_at.isoformat(),
                "read_at": n.read_at.isoformat() if n.read_at else None,
            }
            for n in Notification.objects.filter(recipient=user)
        ],
        "ratings": [
            {
                "target": f"{r.target_type.model}:{r.target_id}",
                "score": r.score,
                "comment": r.comment,
                "created_at": r.created_at.isoformat(),
            }
            for r in Rating.objects.filter(user=user).select_related("target_type")
        ],
        "api_tokens": [
            {"name": t.name, "created_at": t.created_at.isoformat(), "revoked": bool(t.revoked_at)}
            for t in user.api_tokens.all()
        ],
        "security_events": [
            {"kind": e.kind, "summary": e.summary, "at": e.created_at.isoformat()}
            for e in user.audit_events.all()[:1000]
        ],
    }
    for config in module_configs():
        module_data = config.export_user_data(user)
        if module_data:
            data[config.label] = module_data
    return data


@transaction.atomic
def delete_account(*, user: User, confirm_email: str, request=None) -> None:
    """Delete a person's account. Their own data (finance, notifications, tokens) goes;
    what they did inside organisations (tickets, stays, movements) stays, attributed to an
    anonymous "deleted user" — the user row is scrubbed, not removed, so nothing that points
    at it is silently destroyed."""
    from concierge.core.modules import module_configs

    if confirm_email.strip().lower() != user.email.lower():
        raise ValidationError({"confirm_email": _("Type your e-mail address to confirm.")})
    for membership in user.memberships.select_related("organisation"):
        if membership.role == Role.ADMIN and _admins_left_after(membership) == 0:
            raise ValidationError(
                _("You are the last admin of %(org)s: make someone else admin first.")
                % {"org": membership.organisation.name}
            )
    audit(kind="delete", actor=None, request=request, summary=f"user #{user.pk}")
    for config in module_configs():
        config.on_account_deleted(user)
    user.notifications.all().delete()
    user.notification_preferences.all().delete()
    user.api_tokens.all().delete()
    user.known_devices.all().delete()
    user.memberships.all().delete()
    user.audit_events.update(actor=None)
    _forget_allauth_records(user)
    for session in Session.objects.all().iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.display_name = _("Deleted user")
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.deleted_at = timezone.now()
    user.save()


def _forget_allauth_records(user: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
