"""Hospital pages: the public bed dashboard, booking, the ward board, reports. Thin: parse,
call a service or selector, render."""

from __future__ import annotations

import csv

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concierge.core.charts import Chart
from concierge.feedback import services as feedback_services
from concierge.feedback.templatetags.feedback_tags import stars
from concierge.hospital import selectors, services
from concierge.hospital.forms import (
    AvailabilityFilterForm,
    BookingForm,
    ExpectedDischargeForm,
    ReasonForm,
    ReportForm,
    TransferForm,
    WalkInForm,
)
from concierge.hospital.models import BedStatus

PER_PAGE = 25


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _next_or(request, fallback: str) -> str:
    """A same-site `next` from the form, else `fallback` (never an open redirect)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _flash_error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- public ------------------------------------------------------------------------------------


def _dashboard_context(request, form: AvailabilityFilterForm, *, version: int) -> dict:
    filters = (
        form.filters()
        if request.GET
        else {"city": "", "district": "", "ward_kind": "", "feature": "", "sort": "free"}
    )
    hospitals = selectors.availability(**filters, version=version)
    recommended = []
    if filters["ward_kind"] or filters["feature"]:
        recommended = selectors.recommendations(
            ward_kind=filters["ward_kind"],
            feature=filters["feature"],
            city=filters["city"],
            district=filters["district"],
            limit=3,
            version=version,
        )
    totals = {
        "free": sum(h.totals.free for h in hospitals),
        "total": sum(h.totals.total for h in hospitals),
        "tomorrow": sum(h.expected_free_tomorrow for h in hospitals),
    }
    page = Paginator(hospitals, PER_PAGE).get_page(request.GET.get("page"))
    filter_query = request.GET.copy()
    filter_query.pop("page", None)
    return {
        "hospitals": page.object_list,
        "rows_html": _rows_html(page.object_list),
        "page": page,
        "filters": filters,
        "totals": totals,
        "recommended": recommended,
        "filter_query": filter_query.urlencode(),
        "now": timezone.now(),
    }


FREE_BADGE, NONE_BADGE = "text-bg-success", "text-bg-light border"


def _rows_html(hospitals) -> str:
    """The table's rows built from plain values: about 25 rows × 6 bed-type badges is the bulk
    of the fragment, and a template loop with per-badge lookups, filters and tags cost most of
    the time of a request right after a bed change. Every value is escaped here."""
    if not hospitals:
        return (
            '<tr><td colspan="8" class="text-center text-body-secondary py-4">'
            + escape(_("No hospital matches these filters."))
            + "</td></tr>"
        )
    url = reverse("hospital:hospital", args=["SLUG"]).replace("SLUG", "{}")
    no_reviews = escape(_("No reviews yet"))
    out = []
    for h in hospitals:
        place = escape(h.city)
        if h.district and h.district != h.city:
            place += ", " + escape(h.district)
        if h.phone:
            place += " · " + escape(h.phone)
        badges = "".join(
            f'<span class="badge rounded-pill {FREE_BADGE if w.free else NONE_BADGE} me-1 mb-1"'
            f' data-kind="{escape(w.kind)}">{escape(w.kind_label)} {w.free}/{w.total}'
            "</span>"
            for w in h.wards
        )
        if h.expected_free_tomorrow:
            n = h.expected_free_tomorrow
            badges += (
                '\n        <div class="small text-body-secondary">'
                + escape(
                    ngettext(
                        "%(n)s bed expected to free up tomorrow",
                        "%(n)s beds expected to free up tomorrow",
                        n,
                    )
                    % {"n": n}
                )
                + "</div>"
            )
        if h.rating:
            rating = (
                f'<span class="text-warning" aria-hidden="true">{stars(h.rating)}</span>'
                f" {h.rating:.1f}"
                f' <span class="small text-body-secondary">({h.rating_count})</span>'
            )
        else:
            rating = f'<span class="small text-body-secondary">{no_reviews}</span>'
        t = h.totals
        out.append(
            f'<tr data-hospital="{escape(h.slug)}">\n'
            f'      <th scope="row"><a href="{url.format(escape(h.slug))}">{escape(h.name)}</a>\n'
            f'        <div class="small text-body-secondary fw-normal">{place}</div></th>\n'
            f"      <td>{badges}</td>\n"
            f'      <td class="text-end {"count-free" if t.free else "count-zero"}"'
            f' data-count="free">{t.free}</td>\n'
            f'      <td class="text-end" data-count="occupied">{t.occupied}</td>\n'
            f'      <td class="text-end" data-count="reserved">{t.reserved}</td>\n'
            f'      <td class="text-end" data-count="total">{t.total}</td>\n'
            f"      <td>{rating}</td>\n"
            f'      <td class="small text-body-secondary">{escape(t.age_label)}</td>\n'
            "    </tr>"
        )
    return "\n    ".join(out)


def _availability_html(request, form: AvailabilityFilterForm, *, version: int) -> str:
    """The counts table (what htmx polls), rendered once per bed-count version, language and
    query: the key moves with every committed bed change from any process, so a change shows
    at the next request; the short lifetime keeps "updated N seconds ago" honest."""
    key = selectors.cache_key(
        "page",
        get_language(),
        timezone.get_current_timezone_name(),
        request.user.is_authenticated,
        sorted(request.GET.lists()),
        version=version,
    )
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            "hospital/_availability.html",
            _dashboard_context(request, form, version=version),
            request=request,
        )
        cache.set(key, html, selectors.CACHE_SECONDS)
    return html


def index(request):
    """The public bed dashboard: no login needed; counts only."""
    services.expire_due_holds()  # the check on read; the cron task does the rest
    version = selectors.counts_version()  # once per request: keys every cache below
    form = AvailabilityFilterForm(request.GET or None, places=selectors.cached_places())
    html = _availability_html(request, form, version=version)
    if request.htmx:
        return HttpResponse(html)
    ctx = {
        "form": form,
        "availability_html": mark_safe(html),  # our own template's output
        "query": request.GET.urlencode(),
        "staff_hospitals": (
            list(selectors.staff_hospitals(user=request.user))
            if request.user.is_authenticated
            else []
        ),
    }
    return render(request, "hospital/index.html", ctx)


def hospital_detail(request, slug: str):
    services.expire_due_holds()
    hospital = selectors.hospital_page_or_404(user=request.user, slug=slug)
    ward_rows = selectors.availability(hospital_ids=[hospital.pk])
    rating, reviews = selectors.hospital_reviews(hospital=hospital)
    ctx = {
        "hospital": hospital,
        "summary": ward_rows[0] if ward_rows else None,
        "wards": selectors.ward_counts(hospital=hospital),
        "rating": rating,
        "reviews": reviews,
        "is_staff": request.user.is_authenticated
        and selectors.is_staff_of(user=request.user, hospital=hospital),
    }
    if request.htmx:
        return render(request, "hospital/_hospital_wards.html", ctx)
    return render(request, "hospital/hospital.html", ctx)


# --- families ----------------------------------------------------------------------------------


@login_required
def book(request, slug: str):
    hospital = selectors.hospital_page_or_404(user=request.user, slug=slug)
    initial = {k: request.GET[k] for k in ("ward_kind", "feature") if request.GET.get(k)}
    form = BookingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.request_bed(
                user=request.user, organisation=hospital, **form.cleaned_data
            )
        except ValidationError as exc:
            _form_error(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            if booking.status == booking.Status.HELD:
                messages.success(
                    request, _("Bed %(bed)s is held for you.") % {"bed": booking.bed.label}
                )
            else:
                messages.info(request, _("No matching bed is free: you are on the waiting list."))
            return redirect("hospital:booking", booking.pk)
    return render(request, "hospital/book.html", {"hospital": hospital, "form": form})


@login_required
def my_bookings(request):
    services.expire_due_holds()
    return render(
        request,
        "hospital/my_bookings.html",
        {
            "bookings": selectors.bookings_for_requester(user=request.user)[:100],
            "stays": selectors.stays_for_requester(user=request.user)[:50],
        },
    )


@login_required
def booking_detail(request, pk: int):
    services.expire_due_holds()
    booking = selectors.booking_for(user=request.user, pk=pk)
    is_staff = selectors.is_staff_of(user=request.user, hospital=booking.organisation)
    return render(
        request,
        "hospital/booking.html",
        {
            "booking": booking,
            "is_staff": is_staff,
            "position": selectors.queue_position(booking=booking),
            "stay": getattr(booking, "stay", None) if booking.status == "admitted" else None,
            "decline_form": ReasonForm(),
        },
    )


@login_required
@require_POST
def booking_action(request, pk: int, action: str):
    booking = selectors.booking_for(user=request.user, pk=pk)
    try:
        if action == "confirm":
            services.confirm_booking(user=request.user, booking=booking)
            messages.success(request, _("Booking confirmed."))
        elif action == "decline":
            services.decline_booking(
                user=request.user, booking=booking, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Booking declined."))
        elif action == "cancel":
            services.cancel_booking(user=request.user, booking=booking)
            messages.success(request, _("Booking cancelled."))
        elif action == "admit":
            stay = services.admit(user=request.user, booking=booking)
            messages.success(
                request,
                _("%(patient)s admitted to bed %(bed)s.")
                % {"patient": stay.patient_name, "bed": stay.bed.label},
            )
            return redirect("hospital:ward", stay.bed.ward_id)
        else:
            raise Http404
    except ValidationError as exc:
        _flash_error(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect(_next_or(request, reverse("hospital:booking", args=[pk])))


@login_required
def stay_detail(request, pk: int):
    stay = selectors.stay_for(user=request.user, pk=pk)
    is_staff = selectors.is_staff_of(user=request.user, hospital=stay.organisation)
    ctx = {"stay": stay, "is_staff": is_staff, "history": selectors.stay_bed_history(stay=stay)}
    if is_staff and stay.is_open:
        ctx["expected_form"] = ExpectedDischargeForm(
            initial={"when": stay.expected_discharge_override}
        )
        ctx["transfer_form"] = TransferForm(
            beds=selectors.free_beds_for_transfer(hospital=stay.organisation)
        )
    return render(request, "hospital/stay.html", ctx)


# --- staff -------------------------------------------------------------------------------------


@login_required
def manage_home(request):
    hospitals = list(selectors.staff_hospitals(user=request.user))
    if len(hospitals) == 1:
        return redirect("hospital:manage", hospitals[0].slug)
    if not hospitals:
        raise Http404
    return render(request, "hospital/manage_list.html", {"hospitals": hospitals})


@login_required
def manage(request, slug: str):
    services.expire_due_holds()
    hospital = selectors.hospital_for_staff(user=request.user, slug=slug)
    return render(
        request,
        "hospital/manage.html",
        {
            "hospital": hospital,
            "wards": selectors.ward_counts(hospital=hospital),
            "holds": selectors.open_bookings(hospital=hospital),
            "waiting": selectors.waiting_list(hospital=hospital),
            "pending_reviews": selectors.reviews_for_moderation(hospital=hospital),
            "stays": selectors.open_stays(hospital=hospital)[:200],
            "decline_form": ReasonForm(),
        },
    )


def _forecast_chart(forecast) -> Chart:
    fig = go.Figure()
    fig.add_bar(
        x=[f.day.isoformat() for f in forecast],
        y=[f.occupied for f in forecast],
        name=str(_("Expected occupied")),
    )
    fig.add_bar(
        x=[f.day.isoformat() for f in forecast],
        y=[f.expected_free for f in forecast],
        name=str(_("Expected free")),
    )
    fig.update_layout(barmode="stack")
    return Chart(
        fig,
        _("Ward forecast, next 7 days"),
        [
            _("Day"),
            _("Expected occupied"),
            _("Expected free"),
            _("Likely free"),
            _("Chance the ward is full"),
        ],
        [
            [
                f.day.isoformat(),
                f.occupied,
                f.expected_free,
                "—" if f.likely_free is None else f.likely_free,
                "—" if f.chance_full is None else f"{round(100 * f.chance_full)} %",
            ]
            for f in forecast
        ],
    )


@login_required
def ward_board(request, pk: int):
    services.expire_due_holds()
    ward = selectors.ward_for_staff(user=request.user, pk=pk)
    board = selectors.ward_board(ward=ward)
    counts = {s.value: sum(1 for b in board if b.bed.status == s.value) for s in BedStatus}
    ctx = {
        "ward": ward,
        "hospital": ward.organisation,
        "board": board,
        "counts": counts,
        "now": timezone.now(),
    }
    if request.htmx:
        return render(request, "hospital/_board.html", ctx)
    forecast = selectors.ward_forecast(ward=ward)
    ctx.update(
        {
            "forecast": forecast,
            "forecast_chart": _forecast_chart(forecast),
            "wards": selectors.ward_counts(hospital=ward.organisation),
            "transfer_beds": list(selectors.free_beds_for_transfer(hospital=ward.organisation)),
        }
    )
    return render(request, "hospital/ward.html", ctx)


@login_required
@require_POST
def bed_action(request, pk: int, action: str):
    bed = selectors.bed_for_staff(user=request.user, pk=pk)
    try:
        if action == "clean":
            services.mark_cleaned(user=request.user, bed=bed)
            messages.success(request, _("Bed %(bed)s is clean and free.") % {"bed": bed.label})
        elif action == "block":
            services.block_bed(user=request.user, bed=bed, reason=request.POST.get("reason", ""))
            messages.success(request, _("Bed %(bed)s is blocked.") % {"bed": bed.label})
        elif action == "unblock":
            services.unblock_bed(user=request.user, bed=bed)
            messages.success(request, _("Bed %(bed)s is back in service.") % {"bed": bed.label})
        elif action == "discharge":
            services.discharge_bed(user=request.user, bed=bed, note=request.POST.get("note", ""))
            messages.success(
                request, _("Discharged; bed %(bed)s goes to housekeeping.") % {"bed": bed.label}
            )
        else:
            raise Http404
    except ValidationError as exc:
        _flash_error(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect("hospital:ward", bed.ward_id)


@login_required
def admit_walk_in(request, pk: int):
    bed = selectors.bed_for_staff(user=request.user, pk=pk)
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stay = services.admit(
                user=request.user,
                bed=bed,
                patient_name=data["patient_name"],
                patient_age=data["patient_age"],
                patient_sex=data["patient_sex"],
                reason=data["reason"],
                expected_discharge=data["expected_discharge"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(
                request,
                _("%(patient)s admitted to bed %(bed)s.")
                % {"patient": stay.patient_name, "bed": bed.label},
            )
            return redirect("hospital:ward", bed.ward_id)
    return render(request, "hospital/admit.html", {"bed": bed, "form": form})


@login_required
@require_POST
def stay_action(request, pk: int, action: str):
    stay = selectors.stay_for(user=request.user, pk=pk)
    if not selectors.is_staff_of(user=request.user, hospital=stay.organisation):
        raise Http404
    try:
        if action == "transfer":
            form = TransferForm(
                request.POST, beds=selectors.free_beds_for_transfer(hospital=stay.organisation)
            )
            if not form.is_valid():
                raise ValidationError(_("Choose a free bed to move the patient to."))
            stay = services.transfer(
                user=request.user,
                stay=stay,
                to_bed=form.cleaned_data["to_bed"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Moved to bed %(bed)s.") % {"bed": stay.bed.label})
        elif action == "expected":
            form = ExpectedDischargeForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Enter a date and time."))
            services.set_expected_discharge(
                user=request.user, stay=stay, when=form.cleaned_data["when"]
            )
            messages.success(request, _("Expected discharge saved."))
        elif action == "discharge":
            services.discharge(user=request.user, stay=stay, note=request.POST.get("note", ""))
            messages.success(
                request,
                _("Discharged; bed %(bed)s goes to housekeeping.") % {"bed": stay.bed.label},
            )
        else:
            raise Http404
    except ValidationError as exc:
        _flash_error(request, exc)
    return redirect(_next_or(request, reverse("hospital:stay", args=[stay.pk])))


@login_required
@require_POST
def moderate_review(request, slug: str, rating_id: int, action: str):
    hospital = selectors.hospital_for_staff(user=request.user, slug=slug)
    rating = selectors.reviews_for_moderation(hospital=hospital).filter(pk=rating_id).first()
    if rating is None or action not in ("publish", "hide"):
        raise Http404
    try:
        feedback_services.moderate(
            moderator=request.user, rating=rating, publish=action == "publish"
        )
    except PermissionDenied:
        raise Http404 from None
    selectors.forget_reviews(hospital=hospital)  # the public page shows it at once
    messages.success(
        request, _("Review published.") if action == "publish" else _("Review hidden.")
    )
    return redirect("hospital:manage", slug)


def _report_charts(report) -> list[tuple[str, Chart]]:
    charts = []
    fig = go.Figure()
    for ward in report.wards:
        rows = [r for r in report.rows if r.ward == ward]
        fig.add_scatter(
            x=[r.day.isoformat() for r in rows],
            y=[r.occupancy_pct for r in rows],
            mode="lines",
            name=ward,
        )
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    charts.append(
        (
            "occupancy",
            Chart(
                fig,
                _("Occupancy rate per ward per day"),
                [_("Day"), _("Ward"), _("Occupancy %")],
                [[r.day.isoformat(), r.ward, r.occupancy_pct] for r in report.rows],
            ),
        )
    )
    days = list(report.admissions_per_day)
    fig = go.Figure()
    fig.add_bar(
        x=[d.isoformat() for d in days],
        y=list(report.admissions_per_day.values()),
        name=str(_("Admissions")),
    )
    fig.add_bar(
        x=[d.isoformat() for d in days],
        y=list(report.discharges_per_day.values()),
        name=str(_("Discharges")),
    )
    charts.append(
        (
            "flow",
            Chart(
                fig,
                _("Admissions and discharges per day"),
                [_("Day"), _("Admissions"), _("Discharges")],
                [
                    [d.isoformat(), report.admissions_per_day[d], report.discharges_per_day[d]]
                    for d in days
                ],
            ),
        )
    )
    return charts


@login_required
def reports(request, slug: str):
    hospital = selectors.hospital_for_staff(user=request.user, slug=slug)
    form = ReportForm(request.GET if request.GET.get("days") else {"days": 30})
    days = (form.cleaned_data.get("days") if form.is_valid() else None) or 30
    report = selectors.occupancy_report(hospital=hospital, days=days)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{hospital.slug}-occupancy-{report.start}-{report.end}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(
            ["date", "ward", "beds", "occupied_hours", "occupancy_pct", "admissions", "discharges"]
        )
        for r in report.rows:
            writer.writerow(
                [
                    r.day.isoformat(),
                    r.ward,
                    r.beds,
                    r.occupied_hours,
                    r.occupancy_pct,
                    r.admissions,
                    r.discharges,
                ]
            )
        return response
    return render(
        request,
        "hospital/reports.html",
        {
            "hospital": hospital,
            "form": form,
            "report": report,
            "days": days,
            "charts": _report_charts(report),
        },
    )


@login_required
def model_card(request, slug: str):
    hospital = selectors.hospital_for_staff(user=request.user, slug=slug)
    return render(
        request, "hospital/model_card.html", {"hospital": hospital, "card": selectors.model_card()}
    )
