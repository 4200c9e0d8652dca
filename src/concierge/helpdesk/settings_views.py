"""The "Helpdesk settings" pages for managers and admins — thin: parse, call a service or
selector, render. Anyone else (agents, customers, strangers) gets 404.

Most sections are plain lists of one organisation-owned model with create / edit / delete, so
one `Section` per model drives the same three views; business hours and inbound e-mail are
single forms, queues and webhooks add their members and deliveries to the edit page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from concierge.helpdesk import services
from concierge.helpdesk import settings_selectors as selectors
from concierge.helpdesk.forms import (
    WEBHOOK_EVENTS,
    BusinessHoursForm,
    CannedResponseForm,
    HolidayForm,
    InboundMailForm,
    KBCategoryForm,
    QueueForm,
    QueueMemberForm,
    RoutingRuleForm,
    SLAPolicyForm,
    TicketCategoryForm,
    WebhookForm,
)
from concierge.helpdesk.models import (
    CannedResponse,
    Holiday,
    KBCategory,
    Queue,
    RoutingRule,
    SLAPolicy,
    TicketCategory,
    Webhook,
)
from concierge.helpdesk.views import _errors_to_form

NEW_SECRET_KEY = "helpdesk_new_webhook_secret"
NEW_TOKEN_KEY = "helpdesk_new_inbound_token"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g} h" if minutes % 60 == 0 or minutes > 120 else f"{minutes} min"


def _rule_conditions(rule: RoutingRule) -> str:
    parts = []
    if rule.category_id:
        parts.append(_("category: %(c)s") % {"c": rule.category.name})
    if rule.keywords:
        words = ", ".join(w.strip() for w in rule.keywords.split(",") if w.strip())
        parts.append(_("words: %(w)s") % {"w": words})
    if rule.language:
        parts.append(_("language: %(l)s") % {"l": rule.get_language_display()})
    if rule.customer_domain:
        parts.append(_("domain: %(d)s") % {"d": rule.customer_domain})
    return "; ".join(parts) or _("every ticket")


def _events(hook: Webhook) -> str:
    names = dict(WEBHOOK_EVENTS)
    events = [e.strip() for e in hook.events.split(",") if e.strip()]
    if "*" in events:
        return _("all events")
    return ", ".join(str(names.get(e, e)) for e in events)


@dataclass(frozen=True)
class Section:
    """One list-and-form section of the settings area."""

    key: str
    title: str
    new_label: str
    model: type[Model]
    form: type[ModelForm]
    headers: tuple[str, ...]
    cells: Callable[[Model], list]
    form_kwargs: Callable = field(default=lambda organisation: {})
    intro: str = ""
    link_column: int = 0  # the cell that links to the edit page


SECTIONS: dict[str, Section] = {
    s.key: s
    for s in (
        Section(
            key="queues",
            title=gettext_lazy("Queues"),
            new_label=gettext_lazy("New queue"),
            model=Queue,
            form=QueueForm,
            headers=(
                gettext_lazy("Queue"),
                gettext_lazy("Assignment"),
                gettext_lazy("Queue manager"),
                gettext_lazy("Members"),
                gettext_lazy("Open tickets"),
            ),
            cells=lambda q: [
                q.name,
                q.get_assignment_display(),
                q.manager.name if q.manager_id else "—",
                q.member_count,
                q.open_count,
            ],
            form_kwargs=lambda org: {"agents": selectors.agents(organisation=org)},
            intro=gettext_lazy("Teams that tickets are routed to, and the agents in each."),
        ),
        Section(
            key="rules",
            title=gettext_lazy("Routing rules"),
            new_label=gettext_lazy("New rule"),
            model=RoutingRule,
            form=RoutingRuleForm,
            headers=(
                gettext_lazy("Order"),
                gettext_lazy("Rule"),
                gettext_lazy("When"),
                gettext_lazy("Queue"),
                gettext_lazy("Priority"),
                gettext_lazy("Active"),
            ),
            cells=lambda r: [
                r.position,
                r.name,
                _rule_conditions(r),
                r.queue.name,
                r.get_priority_display() or "—",
                _("yes") if r.is_active else _("no"),
            ],
            form_kwargs=lambda org: {
                "queues": Queue.objects.filter(organisation=org),
                "categories": TicketCategory.objects.filter(organisation=org),
            },
            link_column=1,
            intro=gettext_lazy(
                "New tickets are checked against the rules from the lowest order up; the first "
                "rule whose every condition holds sends the ticket to its queue."
            ),
        ),
        Section(
            key="sla",
            title=gettext_lazy("SLA policies"),
            new_label=gettext_lazy("New policy"),
            model=SLAPolicy,
            form=SLAPolicyForm,
            headers=(
                gettext_lazy("Priority"),
                gettext_lazy("First response"),
                gettext_lazy("Resolution"),
                gettext_lazy("Warn before"),
            ),
            cells=lambda p: [
                p.get_priority_display(),
                _hours(p.first_response_minutes),
                _hours(p.resolution_minutes),
                _hours(p.warn_before_minutes),
            ],
            intro=gettext_lazy(
                "Targets per priority, counted in business hours (see Business hours and "
                "Holidays). Changes apply to tickets created from now on."
            ),
        ),
        Section(
            key="holidays",
            title=gettext_lazy("Holidays"),
            new_label=gettext_lazy("New holiday"),
            model=Holiday,
            form=HolidayForm,
            headers=(gettext_lazy("Date"), gettext_lazy("Name")),
            cells=lambda h: [date_format(h.day, "D, j M Y"), h.name],
            intro=gettext_lazy("SLA clocks stop on these days."),
        ),
        Section(
            key="webhooks",
            title=gettext_lazy("Webhooks"),
            new_label=gettext_lazy("New webhook"),
            model=Webhook,
            form=WebhookForm,
            headers=(
                gettext_lazy("Address (URL)"),
                gettext_lazy("Events"),
                gettext_lazy("Active"),
                gettext_lazy("Failed deliveries"),
            ),
            cells=lambda w: [
                w.url,
                _events(w),
                _("yes") if w.is_active else _("no"),
                w.failed_count,
            ],
            intro=gettext_lazy(
                "Ticket events are POSTed as JSON, signed with HMAC-SHA256 of the body "
                "(X-Concierge-Signature: sha256=…) and retried with back-off."
            ),
        ),
        Section(
            key="ticket-categories",
            title=gettext_lazy("Ticket categories"),
            new_label=gettext_lazy("New category"),
            model=TicketCategory,
            form=TicketCategoryForm,
            headers=(
                gettext_lazy("Name"),
                gettext_lazy("Other languages"),
                gettext_lazy("Tickets"),
            ),
            cells=lambda c: [c.name, " · ".join(c.names.values()) or "—", c.ticket_count],
            intro=gettext_lazy("Customers choose one when they raise a ticket."),
        ),
        Section(
            key="kb-categories",
            title=gettext_lazy("KB categories"),
            new_label=gettext_lazy("New category"),
            model=KBCategory,
            form=KBCategoryForm,
            headers=(
                gettext_lazy("Order"),
                gettext_lazy("Name"),
                gettext_lazy("Other languages"),
                gettext_lazy("Articles"),
            ),
            cells=lambda c: [
                c.position,
                c.name,
                " · ".join(c.names.values()) or "—",
                c.article_count,
            ],
            link_column=1,
            intro=gettext_lazy("Groups of knowledge-base articles."),
        ),
        Section(
            key="canned",
            title=gettext_lazy("Canned responses"),
            new_label=gettext_lazy("New canned response"),
            model=CannedResponse,
            form=CannedResponseForm,
            headers=(gettext_lazy("Title"), gettext_lazy("Text")),
            cells=lambda c: [c.title, c.body[:90] + ("…" if len(c.body) > 90 else "")],
            intro=gettext_lazy(
                "Ready answers agents insert on a ticket. Placeholders: {customer_name}, "
                "{ticket_number}, {agent_name}, {subject}."
            ),
        ),
    )
}

#: the sub-navigation, in the order a new helpdesk is usually set up
NAV = [
    ("queues", gettext_lazy("Queues")),
    ("rules", gettext_lazy("Routing rules")),
    ("sla", gettext_lazy("SLA policies")),
    ("hours", gettext_lazy("Business hours")),
    ("holidays", gettext_lazy("Holidays")),
    ("mail", gettext_lazy("Inbound e-mail")),
    ("webhooks", gettext_lazy("Webhooks")),
    ("ticket-categories", gettext_lazy("Ticket categories")),
    ("kb-categories", gettext_lazy("KB categories")),
    ("canned", gettext_lazy("Canned responses")),
]


def _section(key: str) -> Section:
    if key not in SECTIONS:
        raise Http404("Not found.")
    return SECTIONS[key]


def _nav_url(org: str, key: str) -> str:
    if key in ("hours", "mail"):
        return reverse(f"helpdesk:settings_{key}", args=[org])
    return reverse("helpdesk:setting_list", args=[org, key])


def _context(organisation, active: str, **extra) -> dict:
    return {
        "org": organisation,
        "active": active,
        "settings_nav": [(key, title, _nav_url(organisation.slug, key)) for key, title in NAV],
        **extra,
    }


# ===========================================================================================
# Lists, forms and deletion for every section
# ===========================================================================================
@login_required
def settings_home(request, org):
    selectors.managed_organisation(slug=org, user=request.user)
    return redirect("helpdesk:setting_list", org, "queues")


@login_required
def setting_list(request, org, section):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    sec = _section(section)
    rows = [
        (obj, sec.cells(obj))
        for obj in selectors.setting_rows(organisation=organisation, model=sec.model)
    ]
    return render(
        request,
        "helpdesk/settings/list.html",
        _context(organisation, section, section=sec, rows=rows),
    )


@login_required
def setting_edit(request, org, section, pk=None):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    sec = _section(section)
    obj = (
        selectors.setting_or_404(
            user=request.user, organisation=organisation, model=sec.model, pk=pk
        )
        if pk
        else sec.model(organisation=organisation)
    )
    creating = obj.pk is None
    form = sec.form(request.POST or None, instance=obj, **sec.form_kwargs(organisation))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.save_setting(
                    actor=request.user, organisation=organisation, obj=form.instance
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                if creating and isinstance(saved, Webhook):
                    request.session[NEW_SECRET_KEY] = {"id": saved.pk, "secret": saved.secret}
                if isinstance(saved, Queue | Webhook):
                    return redirect("helpdesk:setting_edit", org, section, saved.pk)
                return redirect("helpdesk:setting_list", org, section)
        status = 422
    extra = {}
    if isinstance(obj, Queue) and obj.pk:
        extra = _queue_panel(request, obj)
    elif isinstance(obj, Webhook) and obj.pk:
        extra = _webhook_panel(request, obj)
    return render(
        request,
        "helpdesk/settings/edit.html",
        _context(organisation, section, section=sec, form=form, obj=obj, **extra),
        status=status,
    )


@login_required
def setting_delete(request, org, section, pk):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    sec = _section(section)
    obj = selectors.setting_or_404(
        user=request.user, organisation=organisation, model=sec.model, pk=pk
    )
    if request.method == "POST":
        outcome = services.delete_setting(actor=request.user, obj=obj)
        messages.success(request, " ".join(filter(None, [_("Deleted."), outcome.describe()])))
        return redirect("helpdesk:setting_list", org, section)
    return render(
        request,
        "helpdesk/settings/delete.html",
        _context(
            organisation, section, section=sec, obj=obj, effects=services.deletion_effects(obj)
        ),
    )


# ===========================================================================================
# Queue members
# ===========================================================================================
def _queue_panel(request, queue: Queue, member_form=None) -> dict:
    return {
        "members": selectors.queue_members(queue=queue),
        "member_form": member_form
        or QueueMemberForm(
            initial={"languages": ["en"], "is_available": True},
            agents=selectors.agents_outside(queue=queue),
        ),
        "language_options": [("en", "English"), ("hi", "हिन्दी"), ("ta", "தமிழ்")],
    }


def _managed_queue(request, org, pk):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    queue = selectors.setting_or_404(
        user=request.user, organisation=organisation, model=Queue, pk=pk
    )
    return organisation, queue


@login_required
@require_POST
def queue_member_add(request, org, pk):
    organisation, queue = _managed_queue(request, org, pk)
    form = QueueMemberForm(request.POST, agents=selectors.agents_outside(queue=queue))
    if form.is_valid():
        try:
            services.add_queue_member(
                actor=request.user,
                queue=queue,
                user=form.cleaned_data["user"],
                languages=",".join(form.cleaned_data["languages"]),
                available=form.cleaned_data["is_available"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Agent added to the queue."))
            return redirect("helpdesk:setting_edit", org, "queues", queue.pk)
    sec = SECTIONS["queues"]
    return render(
        request,
        "helpdesk/settings/edit.html",
        _context(
            organisation,
            "queues",
            section=sec,
            obj=queue,
            form=sec.form(instance=queue, **sec.form_kwargs(organisation)),
            **_queue_panel(request, queue, member_form=form),
        ),
        status=422,
    )


@login_required
@require_POST
def queue_member_update(request, org, pk, member_pk):
    _organisation, queue = _managed_queue(request, org, pk)
    member = selectors.queue_member_or_404(user=request.user, queue=queue, pk=member_pk)
    form = QueueMemberForm(request.POST)
    if form.is_valid():
        services.update_queue_member(
            actor=request.user,
            member=member,
            languages=form.cleaned_data["languages"],
            available=form.cleaned_data["is_available"],
        )
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Tick at least one language."))
    return redirect("helpdesk:setting_edit", org, "queues", queue.pk)


@login_required
@require_POST
def queue_member_remove(request, org, pk, member_pk):
    _organisation, queue = _managed_queue(request, org, pk)
    member = selectors.queue_member_or_404(user=request.user, queue=queue, pk=member_pk)
    name = member.user.name
    services.remove_queue_member(actor=request.user, member=member)
    messages.success(
        request,
        _("%(name)s left the queue; tickets already assigned to them stay assigned.")
        % {"name": name},
    )
    return redirect("helpdesk:setting_edit", org, "queues", queue.pk)


# ===========================================================================================
# Webhooks: secret shown once, deliveries, retry
# ===========================================================================================
def _webhook_panel(request, hook: Webhook) -> dict:
    shown = request.session.get(NEW_SECRET_KEY)
    secret = None
    if shown and shown.get("id") == hook.pk:
        secret = shown["secret"]
        del request.session[NEW_SECRET_KEY]
    return {"new_secret": secret, "deliveries": selectors.webhook_deliveries(webhook=hook)}


@login_required
@require_POST
def webhook_secret(request, org, pk):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    hook = selectors.setting_or_404(
        user=request.user, organisation=organisation, model=Webhook, pk=pk
    )
    secret = services.regenerate_webhook_secret(actor=request.user, webhook=hook)
    request.session[NEW_SECRET_KEY] = {"id": hook.pk, "secret": secret}
    messages.success(request, _("New secret made; the old one no longer signs deliveries."))
    return redirect("helpdesk:setting_edit", org, "webhooks", hook.pk)


@login_required
@require_POST
def webhook_retry(request, org, pk, delivery_pk):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    hook = selectors.setting_or_404(
        user=request.user, organisation=organisation, model=Webhook, pk=pk
    )
    delivery = selectors.webhook_delivery_or_404(user=request.user, webhook=hook, pk=delivery_pk)
    try:
        services.retry_webhook_delivery(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The delivery will be sent again in a moment."))
    return redirect("helpdesk:setting_edit", org, "webhooks", hook.pk)


# ===========================================================================================
# Business hours and inbound e-mail (one settings row per organisation)
# ===========================================================================================
@login_required
def settings_hours(request, org):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    # a POST writes, so it works on the stored row (made with the defaults when missing)
    cfg = (
        services.settings_for(organisation)
        if request.method == "POST"
        else selectors.helpdesk_settings(organisation=organisation)
    )
    form = BusinessHoursForm(request.POST or None, instance=cfg)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_business_hours(
                actor=request.user, organisation=organisation, cfg=form.instance
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("helpdesk:settings_hours", org)
    return render(
        request,
        "helpdesk/settings/single.html",
        _context(
            organisation,
            "hours",
            form=form,
            title=_("Business hours"),
            intro=_(
                "SLA clocks run only in working hours on working days, in the organisation's "
                "time zone (%(tz)s)."
            )
            % {"tz": organisation.timezone},
        ),
        status=422 if form.errors else 200,
    )


@login_required
def settings_mail(request, org):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    cfg = (
        services.settings_for(organisation)
        if request.method == "POST"
        else selectors.helpdesk_settings(organisation=organisation)
    )
    form = InboundMailForm(request.POST or None, instance=cfg)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_inbound_settings(
                actor=request.user,
                organisation=organisation,
                cfg=form.instance,
                password=form.cleaned_data["password"],
                clear_password=form.cleaned_data["clear_password"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("helpdesk:settings_mail", org)
    return render(
        request,
        "helpdesk/settings/mail.html",
        _context(
            organisation,
            "mail",
            form=form,
            has_token=bool(cfg.inbound_token_hash),
            new_token=request.session.pop(NEW_TOKEN_KEY, None),
            inbound_url=request.build_absolute_uri(reverse("api:inbound")),
            log=selectors.recent_inbound_mail(organisation=organisation),
        ),
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def settings_mail_token(request, org):
    organisation = selectors.managed_organisation(slug=org, user=request.user)
    token = services.issue_inbound_token(actor=request.user, organisation=organisation)
    request.session[NEW_TOKEN_KEY] = token
    messages.success(request, _("New ingest token made; the old one no longer works."))
    return redirect("helpdesk:settings_mail", org)
