"""Helpdesk pages — thin: parse, call a service or selector, render."""

from __future__ import annotations

import csv
import hashlib
from datetime import timedelta
from urllib.parse import urlencode

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concierge.core.charts import Chart
from concierge.helpdesk import selectors, services
from concierge.helpdesk.forms import (
    AgentReplyForm,
    ArticleForm,
    CustomerReplyForm,
    MergeForm,
    NoteForm,
    ReportForm,
    TicketForm,
    TicketUpdateForm,
)
from concierge.helpdesk.models import Article, Ticket


class CappedPaginator(Paginator):
    """Counts at most CAP rows: on a million-ticket queue an exact COUNT(*) costs more than the
    page itself, and nobody pages past 100 pages (filters are the way)."""

    CAP = 5000

    @cached_property
    def count(self) -> int:
        # no ORDER BY in the count: the planner may then count along any matching index
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


def _lang() -> str:
    lang = (get_language() or "en")[:2]
    return lang if lang in services.KB_LANGUAGES else "en"


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            target = field if field in form.fields else None
            for err in errs:
                form.add_error(target, err)
    else:
        for err in exc.messages:
            form.add_error(None, err)


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _voter_key(request) -> str:
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    if not request.session.session_key:
        request.session.save()
    return "s" + hashlib.sha256(request.session.session_key.encode()).hexdigest()[:40]


# ===========================================================================================
# Entry
# ===========================================================================================
@login_required
def index(request):
    orgs = selectors.helpdesk_organisations_for(user=request.user)
    if len(orgs) == 1:
        return redirect("helpdesk:tickets", orgs[0][0].slug)
    return render(request, "helpdesk/index.html", {"orgs": orgs})


# ===========================================================================================
# Knowledge base (public)
# ===========================================================================================
def kb_home(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    query = request.GET.get("q", "").strip()[:200]
    lang = _lang()
    hits = (
        selectors.search_articles(
            organisation=organisation, query=query, language=lang, limit=20, user=request.user
        )
        if query
        else []
    )
    articles = (
        []
        if query
        else selectors.published_articles(
            organisation=organisation, language=lang, user=request.user
        )
    )
    groups: dict[str, list] = {}
    for a in articles:
        groups.setdefault(a.category or _("Other"), []).append(a)
    return render(
        request,
        "helpdesk/kb_home.html",
        {
            "org": organisation,
            "query": query,
            "hits": hits,
            "groups": groups,
            "can_edit": request.user.is_authenticated
            and selectors.is_agent(user=request.user, organisation=organisation),
        },
    )


def kb_search(request, org):
    """htmx: ranked results as the visitor types."""
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    query = request.GET.get("q", "").strip()[:200]
    hits = (
        selectors.search_articles(
            organisation=organisation, query=query, language=_lang(), limit=8, user=request.user
        )
        if query
        else []
    )
    return render(
        request, "helpdesk/_kb_results.html", {"hits": hits, "query": query, "org": organisation}
    )


def kb_article(request, org, slug):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    item = selectors.article_for_reader(
        organisation=organisation, slug=slug, language=_lang(), user=request.user
    )
    related = selectors.related_articles(article=item.article, language=_lang(), user=request.user)
    return render(
        request,
        "helpdesk/kb_article.html",
        {
            "org": organisation,
            "item": item,
            "related": related,
            "voted": request.session.get(f"kb_vote_{item.article.pk}"),
        },
    )


@require_POST
def kb_vote(request, org, slug):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    item = selectors.article_for_reader(
        organisation=organisation, slug=slug, language=_lang(), user=request.user
    )
    helpful = request.POST.get("helpful") == "yes"
    article = services.vote_article(
        article=item.article, helpful=helpful, voter_key=_voter_key(request), user=request.user
    )
    request.session[f"kb_vote_{article.pk}"] = "yes" if helpful else "no"
    if request.htmx:
        return render(
            request,
            "helpdesk/_kb_vote.html",
            {"org": organisation, "item": item, "voted": "yes" if helpful else "no"},
        )
    return redirect(item.url)


@login_required
def kb_manage(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    articles = selectors.kb_articles_for_editor(user=request.user, organisation=organisation)
    return render(request, "helpdesk/kb_manage.html", {"org": organisation, "articles": articles})


@login_required
def kb_edit(request, org, pk=None):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    article = (
        selectors.article_for_editor(user=request.user, organisation=organisation, pk=pk)
        if pk
        else None
    )
    lang = request.GET.get("language") or request.POST.get("language") or "en"
    initial = {"language": lang, "status": Article.Status.DRAFT}
    if article is not None:
        t = article.translations.filter(language=lang).first()
        initial.update(
            slug=article.slug,
            category=article.category,
            status=article.status,
            visibility=article.visibility,
            title=t.title if t else "",
            body=t.body if t else "",
        )
    form = ArticleForm(
        request.POST or None,
        initial=initial,
        categories=selectors.kb_categories(organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_article(
                actor=request.user,
                organisation=organisation,
                slug=article.slug if article else data["slug"],
                title=data["title"],
                body=data["body"],
                language=data["language"],
                category=data["category"],
                status=data["status"],
                visibility=data["visibility"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Article saved."))
            return redirect(
                reverse("helpdesk:kb_edit", args=[org, saved.pk]) + "?language=" + data["language"]
            )
    return render(
        request,
        "helpdesk/kb_edit.html",
        {"org": organisation, "form": form, "article": article, "lang": lang},
    )


# ===========================================================================================
# Tickets: lists
# ===========================================================================================
@login_required
def tickets(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    if selectors.is_agent(user=request.user, organisation=organisation):
        return _agent_inbox(request, organisation)
    qs = selectors.customer_tickets(customer=request.user, organisation=organisation)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "helpdesk/customer_tickets.html", {"org": organisation, "page": page})


def _filters_from(request) -> selectors.TicketFilters:
    def as_int(name):
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    return selectors.TicketFilters(
        view=request.GET.get("view", "mine"),
        status=request.GET.get("status", ""),
        priority=request.GET.get("priority", ""),
        queue=as_int("queue"),
        tag=request.GET.get("tag", ""),
        q=request.GET.get("q", "")[:100],
        assignee=as_int("assignee"),
    )


def _agent_inbox(request, organisation):
    filters = _filters_from(request)
    qs = selectors.agent_tickets(agent=request.user, organisation=organisation, filters=filters)
    page = CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "helpdesk/agent_inbox.html",
        {
            "org": organisation,
            "page": page,
            "filters": filters,
            "now": now,
            "soon": now + timedelta(hours=1),
            "views": [
                ("mine", _("My tickets")),
                ("unassigned", _("Unassigned in my queues")),
                ("breaching", _("Breaching soon")),
                ("open", _("All open")),
                ("all", _("All")),
                ("spam", _("Spam")),
            ],
            "statuses": Ticket.Status.choices,
            "priorities": Ticket._meta.get_field("priority").choices,
            "queues": selectors.queues(organisation=organisation),
            "tags": selectors.tags(organisation=organisation),
            "saved_views": selectors.saved_views(user=request.user, organisation=organisation),
            "query_string": urlencode(params),
            "is_manager": selectors.is_manager(user=request.user, organisation=organisation),
        },
    )


@login_required
@require_POST
def save_view(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    try:
        services.save_view(
            agent=request.user,
            organisation=organisation,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
        messages.success(request, _("View saved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("helpdesk:tickets", args=[org]) + "?" + request.POST.get("query", ""))


@login_required
@require_POST
def bulk(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    if not selectors.is_agent(user=request.user, organisation=organisation):
        raise Http404
    ids = [int(i) for i in request.POST.getlist("ticket") if i.isdigit()]
    try:
        n = services.bulk_update(
            agent=request.user,
            organisation=organisation,
            ticket_ids=ids,
            action=request.POST.get("action", ""),
            value=request.POST.get("value", ""),
        )
        messages.success(request, _("%(n)s tickets updated.") % {"n": n})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("helpdesk:tickets", args=[org]) + "?" + request.POST.get("back", ""))


# ===========================================================================================
# Tickets: create (with KB suggestions and deflection)
# ===========================================================================================
@login_required
def ticket_new(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    if not request.user.has_perm("helpdesk.raise_ticket", organisation):
        raise Http404
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        categories=selectors.ticket_categories(organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.create_ticket(
                organisation=organisation,
                customer=request.user,
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                customer_priority=data["customer_priority"],
                attachments=data["attachments"],
                source_ip=_client_ip(request),
                honeypot=data["website"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Ticket #%(n)s sent. We will answer soon.") % {"n": ticket.number}
            )
            return redirect("helpdesk:ticket", org, ticket.number)
    return render(request, "helpdesk/ticket_new.html", {"org": organisation, "form": form})


@login_required
def ticket_suggest(request, org):
    """htmx: articles that may answer the subject being typed."""
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    query = (request.GET.get("subject") or request.GET.get("q") or "").strip()[:200]
    hits = (
        selectors.search_articles(
            organisation=organisation, query=query, language=_lang(), limit=4, user=request.user
        )
        if len(query) >= 3
        else []
    )
    return render(
        request, "helpdesk/_suggestions.html", {"hits": hits, "org": organisation, "query": query}
    )


@login_required
@require_POST
def deflect(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    slug = request.POST.get("article", "")
    item = selectors.article_for_reader(
        organisation=organisation, slug=slug, language=_lang(), user=request.user
    )
    services.record_deflection(
        organisation=organisation,
        article=item.article,
        user=request.user,
        query=request.POST.get("query", ""),
    )
    messages.success(request, _("Glad that helped! No ticket was created."))
    return redirect("helpdesk:kb_article", org, slug)


# ===========================================================================================
# Tickets: one ticket
# ===========================================================================================
def _ticket_context(request, organisation, ticket, **forms):
    agent = selectors.is_agent(user=request.user, organisation=organisation)
    ctx = {
        "org": organisation,
        "ticket": ticket,
        "is_agent": agent,
        "conversation": selectors.conversation(ticket=ticket, include_notes=agent),
        "clocks": selectors.sla_clocks(ticket=ticket),
        "ratings": selectors.ticket_ratings(ticket=ticket),
    }
    if agent:
        ctx.update(
            {
                "history": selectors.history(ticket=ticket),
                "reply_form": forms.get("reply_form")
                or AgentReplyForm(
                    initial={
                        "seen_message_id": services.last_public_message_id(ticket),
                        "body": forms.get("prefill", ""),
                    }
                ),
                "note_form": forms.get("note_form") or NoteForm(),
                "update_form": TicketUpdateForm(
                    initial={
                        "status": ticket.status,
                        "priority": ticket.priority,
                        "queue": ticket.queue,
                        "assignee": ticket.assignee,
                        "tags": ", ".join(t.name for t in ticket.tags.all()),
                    },
                    queues=selectors.queues(organisation=organisation),
                    agents=selectors.agents_of(organisation=organisation),
                ),
                "merge_form": MergeForm(),
                "canned": selectors.canned_responses(organisation=organisation),
                "similar": selectors.similar_open_tickets(ticket=ticket),
            }
        )
    else:
        ctx["reply_form"] = forms.get("reply_form") or CustomerReplyForm()
        ctx["can_reopen"] = (
            ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
            and services._can_reopen(ticket, timezone.now())
            and not ticket.merged_into_id
        )
    return ctx


@login_required
def ticket_detail(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    prefill = ""
    canned_id = request.GET.get("canned", "")
    if canned_id.isdigit() and selectors.is_agent(user=request.user, organisation=organisation):
        response = (
            selectors.canned_responses(organisation=organisation).filter(pk=int(canned_id)).first()
        )
        if response is not None:
            prefill = services.render_canned(response=response, ticket=ticket, agent=request.user)
    return render(
        request,
        "helpdesk/ticket.html",
        _ticket_context(request, organisation, ticket, prefill=prefill),
    )


@login_required
@require_POST
def ticket_reply(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    if selectors.is_agent(user=request.user, organisation=organisation):
        form = AgentReplyForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = services.reply_as_agent(
                    agent=request.user,
                    ticket=ticket,
                    body=data["body"],
                    seen_message_id=data["seen_message_id"],
                    status_after=data["status_after"],
                    attachments=data["attachments"],
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                if outcome.held is not None:
                    return redirect("helpdesk:held_reply", org, outcome.held.pk)
                messages.success(request, _("Reply sent."))
                return redirect("helpdesk:ticket", org, number)
    else:
        form = CustomerReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.reply_as_customer(
                    customer=request.user,
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Reply sent."))
                return redirect("helpdesk:ticket", org, number)
    return render(
        request,
        "helpdesk/ticket.html",
        _ticket_context(request, organisation, ticket, reply_form=form),
        status=422,
    )


@login_required
def held_reply(request, org, pk):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    held = selectors.held_reply_for(user=request.user, pk=pk)
    if held.ticket.organisation_id != organisation.pk:
        raise Http404
    ticket = held.ticket
    if request.method == "POST":
        send = request.POST.get("decision") == "send"
        services.resolve_held_reply(agent=request.user, held=held, send=send)
        messages.success(request, _("Reply sent.") if send else _("Your reply was discarded."))
        return redirect("helpdesk:ticket", org, ticket.number)
    newer = services.newer_public_messages(
        ticket=ticket, seen_message_id=held.seen_message_id, author=request.user
    )
    return render(
        request,
        "helpdesk/held_reply.html",
        {"org": organisation, "held": held, "ticket": ticket, "newer": newer},
    )


@login_required
@require_POST
def ticket_note(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(agent=request.user, ticket=ticket, body=form.cleaned_data["body"])
        except PermissionDenied as exc:
            raise Http404 from exc
        messages.success(request, _("Note added."))
        return redirect("helpdesk:ticket", org, number)
    return render(
        request,
        "helpdesk/ticket.html",
        _ticket_context(request, organisation, ticket, note_form=form),
        status=422,
    )


@login_required
@require_POST
def ticket_update(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    if not selectors.is_agent(user=request.user, organisation=organisation):
        raise Http404
    form = TicketUpdateForm(
        request.POST,
        queues=selectors.queues(organisation=organisation),
        agents=selectors.agents_of(organisation=organisation),
    )
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.change_ticket(
                agent=request.user,
                ticket=ticket,
                status=d["status"],
                priority=d["priority"],
                queue=d["queue"],
                assignee=d["assignee"],
                tags=d["tags"].split(","),
            )
            messages.success(request, _("Ticket updated."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Check the ticket fields."))
    return redirect("helpdesk:ticket", org, number)


@login_required
@require_POST
def ticket_close(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    try:
        services.close_by_customer(customer=request.user, ticket=ticket)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Ticket closed. You can reopen it if you need to."))
    return redirect("helpdesk:ticket", org, number)


@login_required
@require_POST
def ticket_reopen(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    try:
        services.reopen_ticket(actor=request.user, ticket=ticket)
        messages.success(request, _("Ticket reopened."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("helpdesk:ticket", org, number)


@login_required
@require_POST
def ticket_merge(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of the ticket to merge into."))
        return redirect("helpdesk:ticket", org, number)
    target = selectors.ticket_for(
        user=request.user, organisation=organisation, number=form.cleaned_data["target"]
    )
    try:
        services.merge_tickets(agent=request.user, source=ticket, target=target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("helpdesk:ticket", org, number)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Merged into #%(n)s.") % {"n": target.number})
    return redirect("helpdesk:ticket", org, target.number)


@login_required
@require_POST
def ticket_spam(request, org, number):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    ticket = selectors.ticket_for(user=request.user, organisation=organisation, number=number)
    try:
        services.mark_spam(
            agent=request.user,
            ticket=ticket,
            is_spam=request.POST.get("spam", "1") == "1",
            block_sender=request.POST.get("block") == "1",
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Spam status saved."))
    return redirect("helpdesk:ticket", org, number)


# ===========================================================================================
# Managers: load and reports
# ===========================================================================================
@login_required
def load(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    loads = selectors.agent_loads(user=request.user, organisation=organisation)
    return render(request, "helpdesk/load.html", {"org": organisation, "loads": loads})


@login_required
@require_POST
def availability(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    try:
        services.set_availability(
            agent=request.user,
            organisation=organisation,
            available=request.POST.get("available") == "1",
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Availability saved."))
    return redirect("helpdesk:tickets", org)


def _fmt(minutes):
    if minutes is None:
        return "—"
    return f"{minutes / 60:.1f} h"


@login_required
def reports(request, org):
    organisation = selectors.helpdesk_organisation(slug=org, user=request.user)
    if not selectors.is_manager(user=request.user, organisation=organisation):
        raise Http404
    today = timezone.localdate()
    form = ReportForm(
        request.GET or None,
        initial={"start": today - timedelta(days=29), "end": today},
        queues=selectors.queues(organisation=organisation),
    )
    start, end, queue = today - timedelta(days=29), today, None
    if request.GET and form.is_valid():
        start, end, queue = (
            form.cleaned_data["start"],
            form.cleaned_data["end"],
            form.cleaned_data["queue"],
        )
    rep = selectors.report(
        user=request.user,
        organisation=organisation,
        start=start,
        end=end,
        queue_id=queue.pk if queue else None,
    )
    if request.GET.get("format") == "csv":
        return _report_csv(rep, organisation)
    labels = [d.isoformat() for d in rep.days]
    fig = go.Figure(
        [
            go.Bar(name=_("Created"), x=labels, y=rep.created_per_day),
            go.Bar(name=_("Resolved"), x=labels, y=rep.resolved_per_day),
        ]
    )
    fig.update_layout(barmode="group")
    chart = Chart(
        fig,
        _("Tickets in and out per day"),
        [_("Day"), _("Created"), _("Resolved")],
        [
            [d, c, r]
            for d, c, r in zip(labels, rep.created_per_day, rep.resolved_per_day, strict=True)
        ],
    )
    agents = [g for g in rep.by_agent if g.resolved]
    fig2 = go.Figure(
        [
            go.Bar(
                name=_("First response (h)"),
                x=[g.name for g in agents],
                y=[(g.first_response_minutes or 0) / 60 for g in agents],
            ),
            go.Bar(
                name=_("Resolution (h)"),
                x=[g.name for g in agents],
                y=[(g.resolution_minutes or 0) / 60 for g in agents],
            ),
        ]
    )
    chart2 = Chart(
        fig2,
        _("Average times per agent"),
        [_("Agent"), _("First response"), _("Resolution")],
        [[g.name, _fmt(g.first_response_minutes), _fmt(g.resolution_minutes)] for g in agents],
    )
    return render(
        request,
        "helpdesk/reports.html",
        {
            "org": organisation,
            "form": form,
            "rep": rep,
            "chart": chart,
            "chart2": chart2,
            "csv_query": urlencode({**request.GET.dict(), "format": "csv"}),
        },
    )


def _report_csv(rep, organisation) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="helpdesk-{organisation.slug}-{rep.start}-{rep.end}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "group",
            "name",
            "created",
            "resolved",
            "first_response_minutes",
            "handle_minutes",
            "resolution_minutes",
            "sla_percent",
            "csat",
            "csat_count",
        ]
    )
    for group, rows in (("total", [rep.total]), ("queue", rep.by_queue), ("agent", rep.by_agent)):
        for g in rows:
            writer.writerow(
                [
                    group,
                    g.name,
                    g.created,
                    g.resolved,
                    g.first_response_minutes,
                    g.handle_minutes,
                    g.resolution_minutes,
                    g.sla_percent,
                    g.csat,
                    g.csat_count,
                ]
            )
    writer.writerow(
        [
            "deflection",
            "rate_percent",
            rep.deflections,
            rep.web_tickets,
            rep.deflection_rate,
            "",
            "",
            "",
            "",
            "",
        ]
    )
    writer.writerow([])
    writer.writerow(["day", "created", "resolved"])
    for d, c, r in zip(rep.days, rep.created_per_day, rep.resolved_per_day, strict=True):
        writer.writerow([d.isoformat(), c, r])
    return response
