"""Core reads."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from concierge.core.models import AuditEvent, TaskProgress


def audit_events_for_user(*, user) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(actor=user)


def audit_events_for_organisation(*, organisation) -> QuerySet[AuditEvent]:
    member_ids = organisation.memberships.values("user_id")
    return AuditEvent.objects.filter(
        Q(organisation=organisation)
        | Q(
            actor_id__in=member_ids,
            organisation__isnull=True,
            kind__in=["login", "login_failed", "mfa_changed"],
        )
    ).select_related("actor")


def progress_for(*, user, progress_id) -> TaskProgress:
    """A stranger's progress is a 404."""
    return get_object_or_404(TaskProgress, pk=progress_id, owner=user)
