"""Reads for the "Helpdesk settings" area (managers and admins only; anyone else gets 404).

Kept beside `selectors.py` rather than in it while query tuning happens there; the functions
follow the same rules: keyword-only, scoped to who asks, no writes."""

from __future__ import annotations

from django.db.models import Count, Max, Model, Q, QuerySet
from django.http import Http404

from concierge.accounts.models import WORKER_ROLES, Organisation, Role, User
from concierge.accounts.selectors import get_scoped_or_404, organisation_for_member
from concierge.helpdesk.models import (
    HelpdeskSettings,
    InboundMail,
    KBCategory,
    Queue,
    QueueMember,
    RoutingRule,
    SLAPolicy,
    Ticket,
    TicketCategory,
    Webhook,
    WebhookDelivery,
)

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
KB_LANGUAGES = ("en", "hi", "ta")


def managed_organisation(*, slug: str, user) -> Organisation:
    """The company whose helpdesk `user` manages (manager or admin), else 404."""
    organisation = organisation_for_member(user=user, slug=slug, roles=MANAGER_ROLES)
    if organisation.kind != Organisation.Kind.COMPANY:
        raise Http404("Not found.")
    return organisation


def member_organisation(*, slug: str, user) -> Organisation:
    """A company the user belongs to in any role (the API then answers 403, not 404, to
    members who may not manage it)."""
    organisation = organisation_for_member(user=user, slug=slug)
    if organisation.kind != Organisation.Kind.COMPANY:
        raise Http404("Not found.")
    return organisation


def setting_rows(*, organisation: Organisation, model: type[Model]) -> QuerySet:
    """Every settings row of one kind for the list pages, with what each list shows."""
    qs = model.objects.filter(organisation=organisation)
    if model is Queue:
        return qs.select_related("manager").annotate(
            member_count=Count("members", distinct=True),
            open_count=Count(
                "tickets", filter=Q(tickets__status__in=Ticket.OPEN_STATUSES), distinct=True
            ),
        )
    if model is RoutingRule:
        return qs.select_related("queue", "category")
    if model is Webhook:
        return qs.annotate(
            last_delivery_at=Max("deliveries__created_at"),
            failed_count=Count(
                "deliveries",
                filter=Q(deliveries__status=WebhookDelivery.Status.FAILED),
                distinct=True,
            ),
        ).order_by("url")
    if model is TicketCategory:
        return qs.annotate(ticket_count=Count("tickets"))
    if model is KBCategory:
        return qs.annotate(article_count=Count("articles"))
    if model is SLAPolicy:
        order = {p: i for i, p in enumerate(("urgent", "high", "normal", "low"))}
        return sorted(qs, key=lambda p: order.get(p.priority, 9))
    return qs


def setting_or_404(*, user, organisation: Organisation, model: type[Model], pk: int):
    """One settings row of `organisation` that `user` manages, else 404."""
    return get_scoped_or_404(
        model.objects.all(), user=user, roles=MANAGER_ROLES, pk=pk, organisation=organisation
    )


def helpdesk_settings(*, organisation: Organisation) -> HelpdeskSettings:
    """The organisation's settings row (a fresh unsaved one shows the defaults)."""
    cfg = HelpdeskSettings.objects.filter(organisation=organisation).first()
    return cfg or HelpdeskSettings(organisation=organisation)


# --- queues --------------------------------------------------------------------------------
def queue_members(*, queue: Queue) -> QuerySet[QueueMember]:
    return queue.members.select_related("user").order_by("user__display_name", "user__email")


def queue_member_or_404(*, user, queue: Queue, pk: int) -> QueueMember:
    return get_scoped_or_404(
        QueueMember.objects.select_related("queue", "user"),
        user=user,
        path="queue__organisation",
        roles=MANAGER_ROLES,
        pk=pk,
        queue=queue,
    )


def agents_outside(*, queue: Queue) -> QuerySet[User]:
    """Agents of the queue's organisation who are not yet its members."""
    return (
        User.objects.filter(
            memberships__organisation_id=queue.organisation_id,
            memberships__role__in=list(WORKER_ROLES),
            is_active=True,
        )
        .exclude(helpdesk_queue_memberships__queue=queue)
        .order_by("display_name", "email")
        .distinct()
    )


def agents(*, organisation: Organisation) -> QuerySet[User]:
    return (
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=list(WORKER_ROLES),
            is_active=True,
        )
        .order_by("display_name", "email")
        .distinct()
    )


# --- webhooks and mail ---------------------------------------------------------------------
def webhook_deliveries(*, webhook: Webhook, limit: int = 20) -> list[WebhookDelivery]:
    return list(webhook.deliveries.order_by("-created_at", "-pk")[:limit])


def webhook_delivery_or_404(*, user, webhook: Webhook, pk: int) -> WebhookDelivery:
    return get_scoped_or_404(
        WebhookDelivery.objects.select_related("webhook__organisation"),
        user=user,
        path="webhook__organisation",
        roles=MANAGER_ROLES,
        pk=pk,
        webhook=webhook,
    )


def recent_inbound_mail(*, organisation: Organisation, limit: int = 15) -> list[InboundMail]:
    return list(
        InboundMail.objects.filter(organisation=organisation)
        .select_related("ticket")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- languages -----------------------------------------------------------------------------
def organisation_languages(*, organisation: Organisation) -> tuple[str, ...]:
    """The languages this helpdesk works in: its default language, the languages its queue
    members speak and the languages its routing rules ask for (English always)."""
    codes = {organisation.language, "en"}
    for spoken in QueueMember.objects.filter(queue__organisation=organisation).values_list(
        "languages", flat=True
    ):
        codes.update(c.strip() for c in spoken.split(","))
    codes.update(
        RoutingRule.objects.filter(organisation=organisation)
        .exclude(language="")
        .values_list("language", flat=True)
    )
    return tuple(c for c in KB_LANGUAGES if c in codes)
