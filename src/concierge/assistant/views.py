"""Pages: the chat (full page, htmx), the widget's HTTP fallback (JSON + CORS), the agent
console, and the admin pages (FAQ, unanswered inbox, analytics, settings)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from concierge.assistant import guards, selectors, services
from concierge.assistant.forms import (
    FAQForm,
    ImportForm,
    PreviewForm,
    ReplyForm,
    SeatForm,
    SettingsForm,
    TeachForm,
)
from concierge.assistant.models import Conversation


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "?")


# =========================================================================== index
@login_required
def index(request):
    managed = list(selectors.managed_organisations(user=request.user))
    seats = list(selectors.seat_organisations(user=request.user))
    from concierge.accounts.selectors import organisations_for

    chats = list(organisations_for(user=request.user))
    mine = (
        Conversation.objects.filter(visitor=request.user)
        .select_related("organisation")
        .order_by("-started_at")[:10]
    )
    return render(
        request,
        "assistant/index.html",
        {
            "managed": managed,
            "seats": seats,
            "chats": chats,
            "mine": mine,
        },
    )


# =========================================================================== full-page chat
def _page_conversation(request, organisation, *, create: bool):
    key = request.session.get(f"assistant-chat-{organisation.pk}")
    conv = None
    if key:
        try:
            conv = selectors.conversation_for_visitor(organisation=organisation, key=key)
        except Http404:
            conv = None
    if conv is not None and conv.status == Conversation.Status.CLOSED and create:
        conv = None
    if conv is None and create:
        if not guards.allow_start(ip=_ip(request)):
            raise PermissionDenied(_("Too many new chats from your address; try later."))
        conv = services.start_conversation(
            organisation=organisation,
            user=request.user,
            language=request.GET.get("lang") or request.LANGUAGE_CODE,
        )
        request.session[f"assistant-chat-{organisation.pk}"] = conv.key
    return conv


def chat_page(request, slug):
    """The chat as a page: works with htmx posts alone (no WebSocket needed)."""
    organisation = selectors.chat_organisation(slug=slug)
    if request.GET.get("new"):
        request.session.pop(f"assistant-chat-{organisation.pk}", None)
    conv = _page_conversation(request, organisation, create=True)
    return render(
        request,
        "assistant/chat.html",
        {
            "organisation": organisation,
            "conversation": conv,
            "chat_messages": selectors.history(conversation=conv),
            "form": ReplyForm(),
            # not "languages": base.html's language switcher uses that name
            "chat_languages": selectors.settings_for(organisation=organisation).language_list,
        },
    )


@require_POST
def chat_say(request, slug):
    organisation = selectors.chat_organisation(slug=slug)
    conv = _page_conversation(request, organisation, create=False)
    if conv is None:
        return redirect("assistant:chat", slug=slug)
    action = request.POST.get("action", "say")
    error = ""
    before = conv.messages.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        if not guards.allow_message(ip=_ip(request), conversation_key=conv.key):
            raise ValidationError(_("You are sending messages very fast. Please wait a moment."))
        user = request.user if request.user.is_authenticated else None
        if action == "say":
            form = ReplyForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Please type your question (at most 2,000 characters)."))
            services.visitor_says(conversation=conv, text=form.cleaned_data["text"], user=user)
        elif action in ("yes", "no"):
            services.mark_helpful(
                conversation=conv, message_id=int(request.POST["message"]), helpful=action == "yes"
            )
        elif action == "handoff":
            services.request_handoff(conversation=conv)
        elif action == "contact":
            services.give_contact(conversation=conv, email=request.POST.get("email", ""))
        elif action == "end":
            services.end_conversation(conversation=conv)
        elif action == "rate":
            services.rate_conversation(
                conversation=conv,
                user=user,
                score=request.POST.get("score"),
                comment=request.POST.get("comment", ""),
            )
        elif action == "language":
            services.set_language(
                conversation=conv,
                language=request.POST.get("language", ""),
                script=request.POST.get("script", ""),
            )
        elif action == "transcript":
            services.email_transcript(conversation=conv, email=request.POST.get("email", ""))
    except (ValidationError, ValueError, KeyError) as exc:
        error = exc.messages[0] if isinstance(exc, ValidationError) else _("Invalid request.")
    conv.refresh_from_db()
    new = selectors.history(conversation=conv, after=before)
    if request.htmx:
        return render(
            request,
            "assistant/_chat_messages.html",
            {
                "chat_messages": new,
                "conversation": conv,
                "error": error,
                "organisation": organisation,
                "after_id": before,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("assistant:chat", slug=slug)


def chat_poll(request, slug):
    organisation = selectors.chat_organisation(slug=slug)
    conv = _page_conversation(request, organisation, create=False)
    if conv is None:
        return HttpResponse("")
    try:
        after = int(request.GET.get("after", 0))
    except ValueError:
        after = 0
    new = selectors.history(conversation=conv, after=after)
    return render(
        request,
        "assistant/_chat_messages.html",
        {
            "chat_messages": new,
            "conversation": conv,
            "organisation": organisation,
            "after_id": after,
        },
    )


# =========================================================================== widget (JSON)
def _cors(response, origin: str, *, same_site: bool):
    if origin and not same_site:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _json_error(detail, status, *, field=None, origin="", same_site=True):
    return _cors(
        JsonResponse(
            {"detail": str(detail), "errors": [{"field": field, "message": str(detail)}]},
            status=status,
        ),
        origin,
        same_site=same_site,
    )


def _csrf_ok(request) -> bool:
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is None


def widget_endpoint(view):
    """Origin check, CORS, JSON parsing and error mapping for the widget's HTTP API."""

    @csrf_exempt
    def wrapper(request, slug):
        try:
            organisation = selectors.chat_organisation(slug=slug)
        except Http404:
            return _json_error(_("Not found."), 404)
        origin = guards.normalise_origin(request.headers.get("Origin", ""))
        settings_obj = selectors.settings_for(organisation=organisation)
        same_site = not origin or guards.same_origin(origin, request.get_host())
        if not guards.origin_allowed(
            origin=origin, host=request.get_host(), settings_obj=settings_obj
        ):
            return JsonResponse(
                {"detail": "This site may not embed the chat.", "errors": []}, status=403
            )
        if request.method == "OPTIONS":
            return _cors(HttpResponse(status=204), origin, same_site=same_site)
        payload = {}
        if request.method == "POST":
            if len(request.body) > 64 * 1024:
                return _json_error(
                    _("The request is too large."), 413, origin=origin, same_site=same_site
                )
            try:
                payload = json.loads(request.body.decode("utf-8") or "{}")
            except (ValueError, UnicodeDecodeError):
                return _json_error(
                    _("Send a JSON object."), 400, origin=origin, same_site=same_site
                )
            if not isinstance(payload, dict):
                return _json_error(
                    _("Send a JSON object."), 400, origin=origin, same_site=same_site
                )
        elif request.method != "GET":
            return _json_error(_("Method not allowed."), 405, origin=origin, same_site=same_site)
        # Only our own pages (with a CSRF token) act as the signed-in user.
        user = (
            request.user
            if (
                same_site
                and request.user.is_authenticated
                and (request.method == "GET" or _csrf_ok(request))
            )
            else None
        )
        try:
            body, status = view(
                request, organisation=organisation, payload=payload, user=user, origin=origin
            )
        except ValidationError as exc:
            field = next(iter(exc.message_dict)) if hasattr(exc, "error_dict") else None
            return _json_error(
                exc.messages[0], 422, field=field, origin=origin, same_site=same_site
            )
        except (PermissionDenied, Http404) as exc:
            code = 404 if isinstance(exc, Http404) else 403
            return _json_error(
                str(exc) or _("Not allowed."), code, origin=origin, same_site=same_site
            )
        return _cors(JsonResponse(body, status=status), origin, same_site=same_site)

    return wrapper


def _visitor_conv(organisation, payload, user):
    conv = selectors.conversation_for_visitor(
        organisation=organisation, key=str(payload.get("key", ""))
    )
    if conv.visitor_id and (user is None or user.pk != conv.visitor_id):
        raise Http404
    return conv


@widget_endpoint
def widget_start(request, *, organisation, payload, user, origin):
    conv = None
    if payload.get("key"):
        try:
            conv = _visitor_conv(organisation, payload, user)
        except Http404:
            conv = None
    if conv is None:
        if not guards.allow_start(ip=_ip(request)):
            raise PermissionDenied(_("Too many new chats from your address; try later."))
        conv = services.start_conversation(
            organisation=organisation,
            user=user,
            language=str(payload.get("language") or "")[:8],
            origin=origin,
        )
    return {
        "kind": "hello",
        "key": conv.key,
        "status": conv.status,
        "language": conv.language,
        "script": conv.script,
        "languages": selectors.settings_for(organisation=organisation).language_list,
        "labels": selectors.widget_labels(language=conv.language),
        "messages": [selectors.message_payload(m) for m in selectors.history(conversation=conv)],
    }, 200


@widget_endpoint
def widget_send(request, *, organisation, payload, user, origin):
    conv = _visitor_conv(organisation, payload, user)
    if not guards.allow_message(ip=_ip(request), conversation_key=conv.key):
        raise ValidationError(
            {"text": _("You are sending messages very fast. Please wait a moment.")}
        )
    before = conv.language
    msgs = services.visitor_says(conversation=conv, text=payload.get("text"), user=user)
    return selectors.messages_frame(conversation=conv, messages=msgs, language_was=before), 200


@widget_endpoint
def widget_poll(request, *, organisation, payload, user, origin):
    conv = _visitor_conv(organisation, {"key": request.GET.get("key", "")}, user)
    try:
        after = int(request.GET.get("after", 0))
    except ValueError:
        after = 0
    return {
        "kind": "messages",
        "status": conv.status,
        "messages": [
            selectors.message_payload(m) for m in selectors.history(conversation=conv, after=after)
        ],
    }, 200


@widget_endpoint
def widget_action(request, *, organisation, payload, user, origin):
    conv = _visitor_conv(organisation, payload, user)
    kind = payload.get("type")
    if kind == "helpful":
        try:
            mid = int(payload.get("message_id"))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"message_id": _("Invalid request.")}) from exc
        msgs = services.mark_helpful(
            conversation=conv, message_id=mid, helpful=bool(payload.get("helpful"))
        )
    elif kind == "language":
        msgs = services.set_language(
            conversation=conv,
            language=str(payload.get("language")),
            script=str(payload.get("script", "")),
        )
    elif kind == "handoff":
        msgs = services.request_handoff(conversation=conv)
    elif kind == "contact":
        msgs = services.give_contact(conversation=conv, email=str(payload.get("email", "")))
    elif kind == "end":
        msgs = services.end_conversation(conversation=conv)
    elif kind == "rate":
        msgs = [
            services.rate_conversation(
                conversation=conv,
                user=user,
                score=payload.get("score"),
                comment=str(payload.get("comment", "")),
            )
        ]
    elif kind == "transcript":
        services.email_transcript(conversation=conv, email=str(payload.get("email", "")))
        msgs = []
    else:
        raise ValidationError({"type": _("Invalid request.")})
    conv.refresh_from_db(fields=["status"])
    return {
        "kind": "messages",
        "status": conv.status,
        "messages": [selectors.message_payload(m) for m in msgs],
    }, 200


# =========================================================================== agent console
@login_required
def console(request, slug):
    seat = selectors.seat_for(user=request.user, slug=slug)
    return render(
        request,
        "assistant/console.html",
        {
            "seat": seat,
            "organisation": seat.organisation,
            "waiting": selectors.waiting_chats(organisation=seat.organisation),
            "live": selectors.live_chats(agent=request.user, organisation=seat.organisation),
        },
    )


@login_required
def console_queue(request, slug):
    seat = selectors.seat_for(user=request.user, slug=slug)
    if seat.online:  # polling doubles as the agent's heartbeat
        services.set_seat(user=request.user, organisation=seat.organisation, online=True)
    return render(
        request,
        "assistant/_queue.html",
        {
            "seat": seat,
            "organisation": seat.organisation,
            "waiting": selectors.waiting_chats(organisation=seat.organisation),
            "live": selectors.live_chats(agent=request.user, organisation=seat.organisation),
        },
    )


@login_required
@require_POST
def console_status(request, slug):
    seat = selectors.seat_for(user=request.user, slug=slug)
    services.set_seat(
        user=request.user, organisation=seat.organisation, online=request.POST.get("online") == "1"
    )
    return redirect("assistant:console", slug=slug)


@login_required
def console_chat(request, slug, pk):
    seat = selectors.seat_for(user=request.user, slug=slug)
    conv = selectors.conversation_for_agent(user=request.user, pk=pk)
    if conv.organisation_id != seat.organisation_id:
        raise Http404
    return render(
        request,
        "assistant/console_chat.html",
        {
            "seat": seat,
            "organisation": seat.organisation,
            "conversation": conv,
            "chat_messages": selectors.history(conversation=conv),
            "form": ReplyForm(),
            "mine": conv.agent_id == request.user.pk,
        },
    )


@login_required
@require_POST
def console_act(request, slug, pk):
    seat = selectors.seat_for(user=request.user, slug=slug)
    conv = selectors.conversation_for_agent(user=request.user, pk=pk)
    if conv.organisation_id != seat.organisation_id:
        raise Http404
    action = request.POST.get("action")
    before = conv.messages.order_by("-pk").values_list("pk", flat=True).first() or 0
    error = ""
    try:
        if action == "accept":
            services.accept_chat(agent=request.user, conversation=conv)
            return redirect("assistant:console_chat", slug=slug, pk=pk)
        if action == "end":
            services.end_conversation(conversation=conv, by_visitor=False, agent=request.user)
            return redirect("assistant:console", slug=slug)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Type a message of at most 2,000 characters."))
        services.agent_says(agent=request.user, conversation=conv, text=form.cleaned_data["text"])
    except (ValidationError, PermissionDenied) as exc:
        error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
    if request.htmx:
        return render(
            request,
            "assistant/_chat_messages.html",
            {
                "chat_messages": selectors.history(conversation=conv, after=before),
                "conversation": conv,
                "error": error,
                "agent_view": True,
                "after_id": before,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("assistant:console_chat", slug=slug, pk=pk)


@login_required
def console_poll(request, slug, pk):
    selectors.seat_for(user=request.user, slug=slug)
    conv = selectors.conversation_for_agent(user=request.user, pk=pk)
    try:
        after = int(request.GET.get("after", 0))
    except ValueError:
        after = 0
    return render(
        request,
        "assistant/_chat_messages.html",
        {
            "chat_messages": selectors.history(conversation=conv, after=after),
            "conversation": conv,
            "agent_view": True,
            "after_id": after,
        },
    )


# =========================================================================== admin pages
def _managed(request, slug):
    return selectors.managed_organisation(user=request.user, slug=slug)


@login_required
def faq_list(request, slug):
    organisation = _managed(request, slug)
    q = request.GET.get("q", "")[:100]
    page = Paginator(selectors.faq_entries(organisation=organisation, query=q), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assistant/faq_list.html",
        {
            "organisation": organisation,
            "page_obj": page,
            "q": q,
            "settings_obj": selectors.settings_for(organisation=organisation),
            "preview_form": PreviewForm(initial={"language": organisation.language}),
            "missing": selectors.missing_translations(organisation=organisation, limit=10),
        },
    )


@login_required
def faq_edit(request, slug, pk=None):
    organisation = _managed(request, slug)
    entry = selectors.faq_entry_for(user=request.user, pk=pk) if pk else None
    if entry is not None and entry.organisation_id != organisation.pk:
        raise Http404
    form = FAQForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_faq_entry(
                user=request.user, organisation=organisation, entry=entry, **form.service_kwargs()
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Saved. The assistant is learning it now."))
            return redirect("assistant:faq_list", slug=slug)
    return render(
        request,
        "assistant/faq_form.html",
        {
            "organisation": organisation,
            "form": form,
            "entry": entry,
        },
    )


@login_required
@require_POST
def faq_delete(request, slug, pk):
    organisation = _managed(request, slug)
    entry = selectors.faq_entry_for(user=request.user, pk=pk)
    if entry.organisation_id != organisation.pk:
        raise Http404
    services.delete_faq_entry(user=request.user, entry=entry)
    messages.success(request, _("Deleted."))
    return redirect("assistant:faq_list", slug=slug)


@login_required
def faq_import(request, slug):
    organisation = _managed(request, slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            form.add_error("file", _("The file is larger than 2 MB."))
        else:
            try:
                result = services.import_faq_csv(
                    user=request.user, organisation=organisation, data=upload.read()
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                messages.success(
                    request, _("Imported: %(created)d new, %(updated)d updated.") % result
                )
                return redirect("assistant:faq_list", slug=slug)
    return render(
        request, "assistant/faq_import.html", {"organisation": organisation, "form": form}
    )


@login_required
def faq_export(request, slug):
    organisation = _managed(request, slug)
    response = HttpResponse(
        selectors.export_faq_csv(organisation=organisation), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="faq-{organisation.slug}.csv"'
    return response


@login_required
def preview(request, slug):
    organisation = _managed(request, slug)
    form = PreviewForm(request.GET or None)
    answer = None
    if form.is_valid():
        answer = services.compose_answer(
            organisation=organisation,
            text=form.cleaned_data["text"],
            language=form.cleaned_data["language"],
        )
    return render(
        request,
        "assistant/_preview.html",
        {"form": form, "answer": answer, "organisation": organisation},
    )


@login_required
def inbox(request, slug):
    organisation = _managed(request, slug)
    groups = selectors.unanswered_groups(organisation=organisation)
    forms_ = [
        (
            g,
            TeachForm(
                initial={
                    "ids": ",".join(map(str, g.ids)),
                    "language": g.language,
                    "question": g.texts[0][:300],
                },
                prefix=f"g{i}",
            ),
        )
        for i, g in enumerate(groups[:50])
    ]
    return render(
        request,
        "assistant/inbox.html",
        {"organisation": organisation, "groups": forms_, "total": len(groups)},
    )


@login_required
@require_POST
def inbox_teach(request, slug):
    organisation = _managed(request, slug)
    prefix = request.POST.get("prefix", "")
    form = TeachForm(request.POST, prefix=prefix or None)
    if request.POST.get("dismiss"):
        ids = TeachForm(request.POST, prefix=prefix or None)
        raw = request.POST.get(f"{prefix}-ids" if prefix else "ids", "")
        try:
            id_list = [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            id_list = []
        del ids
        n = services.dismiss_unanswered(
            user=request.user, organisation=organisation, question_ids=id_list
        )
        messages.info(request, _("Dismissed %(n)d questions.") % {"n": n})
        return redirect("assistant:inbox", slug=slug)
    if form.is_valid():
        try:
            entry = services.teach_from_unanswered(
                user=request.user,
                organisation=organisation,
                question_ids=form.cleaned_data["ids"],
                language=form.cleaned_data["language"],
                question=form.cleaned_data["question"],
                answer=form.cleaned_data["answer"],
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _("New answer “%(slug)s” added; the assistant is learning it now.")
                % {"slug": entry.slug},
            )
    else:
        messages.error(request, _("Give the question and the answer."))
    return redirect("assistant:inbox", slug=slug)


@login_required
def analytics(request, slug):
    organisation = _managed(request, slug)
    try:
        days = min(max(int(request.GET.get("days", 30)), 1), 365)
    except ValueError:
        days = 30
    data = selectors.analytics(organisation=organisation, days=days)
    return render(
        request,
        "assistant/analytics.html",
        {
            "organisation": organisation,
            "data": data,
            "charts": list(
                zip(
                    ["chart-per-day", "chart-languages", "chart-top"],
                    selectors.analytics_charts(data),
                    strict=True,
                )
            ),
            "days": days,
        },
    )


@login_required
def settings_page(request, slug):
    organisation = _managed(request, slug)
    current = selectors.settings_for(organisation=organisation)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(
                user=request.user,
                organisation=organisation,
                **{k: form.cleaned_data[k] for k in form.Meta.fields},
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("assistant:settings", slug=slug)
    widget_src = request.build_absolute_uri("/static/assistant/widget.js")
    return render(
        request,
        "assistant/settings.html",
        {
            "organisation": organisation,
            "form": form,
            "settings_obj": current,
            "widget_src": widget_src,
            "chat_url": reverse("assistant:chat", args=[slug]),
        },
    )


@login_required
def seats(request, slug):
    """Chat seats for organisation admins: who may take live chats, in which languages, who
    is online; grant, revoke, mark away."""
    organisation = selectors.administered_organisation(user=request.user, slug=slug)
    form = SeatForm(
        request.POST or None, candidates=selectors.seat_candidates(organisation=organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            seat = services.grant_seat(
                user=request.user,
                organisation=organisation,
                member=form.cleaned_data["member"],
                languages=form.cleaned_data["languages"],
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("%(name)s can now take chats.") % {"name": seat.user.name})
            return redirect("assistant:seats", slug=slug)
    return render(
        request,
        "assistant/seats.html",
        {
            "organisation": organisation,
            "seats": selectors.seats_of(organisation=organisation),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def seat_act(request, slug, pk):
    organisation = selectors.administered_organisation(user=request.user, slug=slug)
    seat = selectors.seat_in(organisation=organisation, pk=pk)
    action = request.POST.get("action")
    if action == "revoke":
        requeued = services.revoke_seat(user=request.user, seat=seat)
        text = _("%(name)s can no longer take chats.") % {"name": seat.user.name}
        if requeued:
            text += " " + _("Their %(n)d live chats went back to the queue.") % {"n": requeued}
        messages.success(request, text)
    elif action == "away":
        services.set_seat_away(user=request.user, seat=seat)
        messages.success(request, _("%(name)s is now away.") % {"name": seat.user.name})
    else:
        return HttpResponse(_("Unknown action."), status=400)
    return redirect("assistant:seats", slug=slug)
