"""Finance pages: thin — parse, call a service or selector, render."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concierge.core.charts import Chart
from concierge.finance import charts as fc
from concierge.finance import forms, reports, selectors, services
from concierge.finance.charts import Figure
from concierge.finance.models import Transaction


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _month_param(request, default: date) -> date:
    raw = request.GET.get("month", "")
    try:
        return date.fromisoformat(raw + "-01") if len(raw) == 7 else default
    except ValueError:
        return default


# --- dashboard -----------------------------------------------------------------------------


def _charts(user, month: date, statuses) -> dict[str, Chart]:
    cur = user.currency
    names = [s.name for s in statuses]
    bars = Figure(
        [
            fc.bar(
                [float(s.spent) for s in statuses],
                names,
                _("Spent"),
                orientation="h",
                marker={
                    "color": [
                        "#dc3545"
                        if s.percent >= 100
                        else "#fd7e14"
                        if s.percent >= 80
                        else "#198754"
                        for s in statuses
                    ]
                },
            ),
            {
                "type": "scatter",
                "mode": "markers",
                "x": [float(s.limit) for s in statuses],
                "y": names,
                "name": _("Limit"),
                "marker": {"symbol": "line-ns-open", "size": 18, "color": "#212529"},
            },
        ]
    )
    by_cat = selectors.spending_by_category(user=user, start=month, end=services.month_end(month))
    donut = Figure(
        [
            {
                "type": "pie",
                "labels": [c.name for c in by_cat],
                "values": [float(c.amount) for c in by_cat],
                "hole": 0.55,
                "textinfo": "percent",
                "textposition": "inside",
                "sort": True,
            }
        ]
    )
    daily = selectors.daily_spending(user=user, month=month)
    today = services.today_for(user)
    running, cumulative = Decimal(0), []
    for d, v in daily:
        running += v
        cumulative.append(float(running) if d <= today else None)
    overall = next((s for s in statuses if s.budget.category_id is None), None)
    days = len(daily)
    pace_total = overall.limit if overall else sum((v for _d, v in daily), Decimal(0))
    xs = [d.day for d, _v in daily]
    day_fig = Figure(
        [
            fc.bar(xs, [float(v) for _d, v in daily], _("Spent that day")),
            fc.line(xs, cumulative, _("So far"), yaxis="y2"),
            fc.line(
                xs,
                [float(pace_total) * (i + 1) / days for i in range(days)],
                _("Even pace to the budget") if overall else _("Pace"),
                yaxis="y2",
                line={"dash": "dot"},
            ),
        ],
        {
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "rangemode": "tozero",
            },
            "yaxis": {"rangemode": "tozero"},
        },
    )
    months = selectors.income_vs_expense(user=user, months=12, until=month)
    labels = [m.strftime("%b %y") for m, _i, _e in months]
    ie = Figure(
        [
            fc.bar(labels, [float(i) for _m, i, _e in months], _("Income")),
            fc.bar(labels, [float(e) for _m, _i, e in months], _("Spending")),
        ]
    )
    return {
        "budgets": Chart(
            bars,
            _("This month: spent vs budget (%(cur)s)") % {"cur": cur},
            [_("Budget"), _("Spent"), _("Limit"), "%"],
            [[s.name, s.spent, s.limit, s.percent] for s in statuses],
        ),
        "donut": Chart(
            donut,
            _("Spending by category (%(cur)s)") % {"cur": cur},
            [_("Category"), _("Spent")],
            [[c.name, c.amount] for c in by_cat],
        ),
        "daily": Chart(
            day_fig,
            _("Daily spending and pace (%(cur)s)") % {"cur": cur},
            [_("Day"), _("Spent")],
            [[d.isoformat(), v] for d, v in daily if v],
        ),
        "months": Chart(
            ie,
            _("Income vs spending, 12 months (%(cur)s)") % {"cur": cur},
            [_("Month"), _("Income"), _("Spending")],
            [[m.strftime("%Y-%m"), i, e] for m, i, e in months],
        ),
    }


@login_required
def index(request):
    user = request.user
    services.ensure_profile(user=user)
    month = _month_param(request, services.month_start(services.today_for(user)))
    statuses = selectors.budget_statuses(user=user, month=month)
    income, expense = selectors.month_totals(user=user, month=month)
    recent = selectors.page_after(selectors.transactions_for(user=user), per_page=8).items
    context = {
        "month": month,
        "accounts": selectors.account_balances(user=user),
        "statuses": statuses,
        "income": income,
        "expense": expense,
        "charts": _charts(user, month, statuses),
        "recent": recent,
        "quick_form": forms.QuickAddForm(),
        "rewards": selectors.rewards(user=user),
        "goals": list(selectors.goals_for(user=user)[:3]),
        "upcoming": list(selectors.recurring_for(user=user).filter(active=True)[:4]),
        "net_worth": selectors.net_worth(user=user),
        "comparison": selectors.anonymous_comparison(user=user, month=month),
    }
    return render(request, "finance/index.html", context)


# --- quick add and transactions ------------------------------------------------------------


@login_required
def quick_add(request):
    user = request.user
    form = forms.QuickAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.interpret_quick_add(user=user, line=form.cleaned_data["line"])
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if result.account is None:
                messages.warning(request, _("Add an account first."))
                return redirect("finance:accounts")
            initial = {
                "kind": result.draft.kind,
                "amount": result.draft.amount,
                "on": result.draft.on,
                "account": result.account.pk,
                "category": result.category.pk if result.category else None,
                "payee": result.payee,
                "tags": " ".join(result.draft.tags),
            }
            txn_form = forms.TransactionForm(initial=initial, user=user)
            return render(
                request,
                "finance/quick_confirm.html",
                {"form": txn_form, "line": form.cleaned_data["line"], "result": result},
            )
    return render(request, "finance/quick_add.html", {"form": form})


def _record_from_form(user, form, *, source=Transaction.Source.MANUAL):
    d = form.cleaned_data
    return services.record_transaction(
        user=user,
        account=d["account"],
        kind=d["kind"],
        amount=d["amount"],
        on=d["on"],
        category=d["category"],
        payee=d["payee"],
        note=d["note"],
        tags=d["tags"],
        to_account=d["to_account"],
        to_amount=d["to_amount"],
        splits=d["splits"],
        source=source,
    )


@login_required
def transaction_new(request):
    user = request.user
    services.ensure_profile(user=user)
    initial = {"on": services.today_for(user), "kind": "expense"}
    form = forms.TransactionForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        source = (
            Transaction.Source.QUICK
            if request.POST.get("from_quick")
            else Transaction.Source.MANUAL
        )
        try:
            _record_from_form(user, form, source=source)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect(request.POST.get("next") or "finance:index")
    return render(request, "finance/transaction_form.html", {"form": form, "txn": None})


@login_required
def transaction_edit(request, pk: int):
    user = request.user
    txn = selectors.get_transaction(user=user, pk=pk)
    splits = "\n".join(
        f"{s.category.name if s.category else ''} {s.amount}"
        for s in txn.splits.select_related("category")
    )
    initial = {
        "kind": txn.kind,
        "amount": txn.amount,
        "on": txn.on,
        "account": txn.account_id,
        "to_account": txn.to_account_id,
        "to_amount": txn.to_amount,
        "category": txn.category_id,
        "payee": txn.payee,
        "note": txn.note,
        "tags": " ".join(txn.tag_list()),
        "splits": splits,
    }
    form = forms.TransactionForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_transaction(
                user=user,
                txn=txn,
                account=d["account"],
                kind=d["kind"],
                amount=d["amount"],
                on=d["on"],
                category=d["category"],
                payee=d["payee"],
                note=d["note"],
                tags=d["tags"],
                to_account=d["to_account"],
                to_amount=d["to_amount"],
                splits=d["splits"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("finance:transactions")
    return render(request, "finance/transaction_form.html", {"form": form, "txn": txn})


@login_required
@require_POST
def transaction_delete(request, pk: int):
    txn = selectors.get_transaction(user=request.user, pk=pk)
    batch = services.delete_transaction(user=request.user, txn=txn)
    request.session["finance_undo"] = str(batch)
    messages.info(request, _("Transaction deleted."))
    return redirect("finance:transactions")


@login_required
@require_POST
def undo(request):
    try:
        batch = uuid.UUID(request.POST.get("batch", ""))
        n = services.undo_delete(user=request.user, batch=batch)
    except (ValueError, ValidationError) as exc:
        messages.error(
            request,
            exc.messages[0] if isinstance(exc, ValidationError) else _("There is nothing to undo."),
        )
    else:
        request.session.pop("finance_undo", None)
        messages.success(request, _("Restored %(n)s transactions.") % {"n": n})
    return redirect("finance:transactions")


@login_required
def transactions(request):
    user = request.user
    form = forms.FilterForm(request.GET or None, user=user)
    filters = form.to_filter()
    qs = selectors.search_transactions(user=user, filters=filters)
    page = selectors.page_after(
        qs,
        cursor=request.GET.get("after") or request.GET.get("before", ""),
        backwards=bool(request.GET.get("before")),
    )
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    return render(
        request,
        "finance/transactions.html",
        {
            "form": form,
            "page": page,
            "totals": selectors.totals_of(user=user, qs=qs, filters=filters),
            "query": query.urlencode(),
            "undo_batch": request.session.get("finance_undo"),
            "currency": user.currency,
        },
    )


@login_required
def bulk_delete(request):
    user = request.user
    form = forms.RangeForm(request.POST or request.GET or None)
    summary = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        count, income, expense = selectors.count_in_range(user=user, start=start, end=end)
        summary = {"count": count, "income": income, "expense": expense, "start": start, "end": end}
        if request.method == "POST" and request.POST.get("confirm"):
            try:
                batch = services.bulk_delete_range(
                    user=user,
                    start=start,
                    end=end,
                    expected_count=int(request.POST.get("expected", "-1")),
                )
            except (ValidationError, ValueError) as exc:
                messages.error(
                    request,
                    exc.messages[0]
                    if isinstance(exc, ValidationError)
                    else _("Please confirm again."),
                )
            else:
                request.session["finance_undo"] = str(batch)
                messages.info(request, _("Deleted %(n)s transactions.") % {"n": count})
                return redirect("finance:transactions")
    return render(
        request,
        "finance/bulk_delete.html",
        {"form": form, "summary": summary, "currency": user.currency},
    )


# --- accounts, categories, rates -----------------------------------------------------------


@login_required
def accounts(request):
    user = request.user
    form = forms.AccountForm(
        request.POST or None, initial={"currency": user.currency, "kind": "bank"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.create_account(user=user, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Account added."))
            return redirect("finance:accounts")
    household = selectors.household_for(user=user)
    return render(
        request,
        "finance/accounts.html",
        {
            "form": form,
            "accounts": selectors.accounts_for(user=user).select_related("owner"),
            "household": household,
            "net_worth": selectors.net_worth(user=user),
        },
    )


@login_required
@require_POST
def account_share(request, pk: int):
    account = selectors.get_account(user=request.user, pk=pk)
    try:
        services.share_account(
            user=request.user, account=account, shared=request.POST.get("shared") == "1"
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("finance:accounts")


@login_required
def categories(request):
    user = request.user
    services.ensure_profile(user=user)
    form = forms.CategoryForm(
        request.POST if request.POST.get("action") == "create" else None, user=user
    )
    merge = forms.MergeForm(
        request.POST if request.POST.get("action") == "merge" else None, user=user
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "create" and form.is_valid():
                services.create_category(user=user, **form.cleaned_data)
                messages.success(request, _("Category added."))
                return redirect("finance:categories")
            if request.POST.get("action") == "merge" and merge.is_valid():
                target = services.merge_categories(user=user, **merge.cleaned_data)
                messages.success(request, _("Merged into %(name)s.") % {"name": target})
                return redirect("finance:categories")
            if request.POST.get("action") == "rename":
                cat = selectors.get_category(user=user, pk=request.POST.get("pk"))
                services.rename_category(user=user, category=cat, name=request.POST.get("name"))
                messages.success(request, _("Renamed."))
                return redirect("finance:categories")
        except ValidationError as exc:
            _form_error(merge if request.POST.get("action") == "merge" else form, exc)
    return render(
        request,
        "finance/categories.html",
        {
            "form": form,
            "merge": merge,
            "categories": selectors.category_choices(user=user),
            "rules": user.finance_rules.select_related("category"),
            "rule_form": forms.RuleForm(user=user),
        },
    )


@login_required
@require_POST
def rule_new(request):
    form = forms.RuleForm(request.POST, user=request.user)
    if form.is_valid():
        services.create_rule(user=request.user, **form.cleaned_data)
        messages.success(request, _("Rule added."))
    else:
        messages.error(request, _("Fill in the text and the category."))
    return redirect("finance:categories")


@login_required
def rates(request):
    user = request.user
    form = forms.RateForm(request.POST if "rate" in request.POST else None)
    upload = forms.RatesFileForm(
        request.POST if "rate" not in request.POST else None, request.FILES or None
    )
    if request.method == "POST":
        try:
            if "rate" in request.POST and form.is_valid():
                services.set_rate(user=user, **form.cleaned_data)
                messages.success(request, _("Rate saved."))
                return redirect("finance:rates")
            if "rate" not in request.POST and upload.is_valid():
                n = services.import_rates_csv(user=user, data=upload.cleaned_data["file"].read())
                messages.success(request, _("%(n)s rates imported.") % {"n": n})
                return redirect("finance:rates")
        except ValidationError as exc:
            _form_error(form if "rate" in request.POST else upload, exc)
    return render(
        request,
        "finance/rates.html",
        {"form": form, "upload": upload, "rates": selectors.rates_for(user=user)},
    )


# --- budgets, recurring, goals -------------------------------------------------------------


@login_required
def budgets(request):
    user = request.user
    profile = selectors.profile_for(user=user)
    action = request.POST.get("action")
    form = forms.BudgetForm(request.POST if action == "budget" else None, user=user)
    prefs = forms.ProfileForm(
        request.POST if action == "prefs" else None,
        initial={
            "warn_thresholds": profile.warn_thresholds,
            "reminder_days": profile.reminder_days,
            "share_anonymous_stats": profile.share_anonymous_stats,
        },
    )
    if request.method == "POST":
        try:
            if action == "budget" and form.is_valid():
                services.set_budget(user=user, **form.cleaned_data)
                messages.success(request, _("Budget saved."))
                return redirect("finance:budgets")
            if action == "prefs" and prefs.is_valid():
                services.update_profile(user=user, **prefs.cleaned_data)
                messages.success(request, _("Settings saved."))
                return redirect("finance:budgets")
            if action == "delete":
                services.delete_budget(
                    user=user, budget=selectors.get_budget(user=user, pk=request.POST.get("pk"))
                )
                messages.success(request, _("Budget removed."))
                return redirect("finance:budgets")
        except ValidationError as exc:
            _form_error(form if action == "budget" else prefs, exc)
    month = _month_param(request, services.month_start(services.today_for(user)))
    return render(
        request,
        "finance/budgets.html",
        {
            "form": form,
            "prefs": prefs,
            "month": month,
            "currency": user.currency,
            "statuses": selectors.budget_statuses(user=user, month=month),
        },
    )


@login_required
def recurring(request):
    user = request.user
    form = forms.RecurringForm(
        request.POST or None, user=user, initial={"next_date": services.today_for(user)}
    )
    if request.method == "POST":
        if request.POST.get("delete"):
            services.delete_recurring(
                user=user, rule=selectors.get_rule(user=user, pk=request.POST["delete"])
            )
            messages.success(request, _("Removed."))
            return redirect("finance:recurring")
        if form.is_valid():
            try:
                services.create_recurring(user=user, **form.cleaned_data)
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Recurring transaction saved."))
                return redirect("finance:recurring")
    return render(
        request,
        "finance/recurring.html",
        {"form": form, "rules": selectors.recurring_for(user=user)},
    )


@login_required
def goals(request):
    user = request.user
    form = forms.GoalForm(request.POST if request.POST.get("action") == "create" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "create" and form.is_valid():
                services.create_goal(user=user, **form.cleaned_data)
                messages.success(request, _("Goal added."))
                return redirect("finance:goals")
            if request.POST.get("action") == "add":
                add = forms.GoalAddForm(request.POST)
                if add.is_valid():
                    services.add_to_goal(
                        user=user,
                        goal=selectors.get_goal(user=user, pk=request.POST.get("pk")),
                        amount=add.cleaned_data["amount"],
                    )
                    messages.success(request, _("Goal updated."))
                return redirect("finance:goals")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    return render(
        request,
        "finance/goals.html",
        {
            "form": form,
            "goals": selectors.goals_for(user=user),
            "add_form": forms.GoalAddForm(),
            "rewards": selectors.rewards(user=user),
            "currency": user.currency,
        },
    )


# --- reports -------------------------------------------------------------------------------


def _report_params(request):
    user = request.user
    period = "year" if request.GET.get("period") == "year" else "month"
    today = services.today_for(user)
    day = _month_param(request, services.month_start(today))
    if period == "year" and request.GET.get("year", "").isdigit():
        day = date(int(request.GET["year"]), 1, 1)
    return period, day


@login_required
def report(request):
    period, day = _report_params(request)
    rep = selectors.report(user=request.user, day=day, period=period)
    top = rep.by_category[:10]
    chart = Chart(
        Figure(
            [
                fc.bar([c.name for c in top], [float(c.amount) for c in top], _("This period")),
                fc.bar(
                    [c.name for c in top], [float(c.previous) for c in top], _("Previous period")
                ),
            ]
        ),
        _("Spending by category, compared"),
        [_("Category"), _("This period"), _("Previous")],
        [[c.name, c.amount, c.previous] for c in rep.by_category],
    )
    prev_day = services.month_start(rep.prev_start)
    return render(
        request,
        "finance/report.html",
        {
            "rep": rep,
            "chart": chart,
            "currency": request.user.currency,
            "period": period,
            "prev_link": (
                f"?period=year&year={rep.prev_start.year}"
                if period == "year"
                else f"?month={prev_day:%Y-%m}"
            ),
            "next_link": (
                f"?period=year&year={rep.start.year + 1}"
                if period == "year"
                else f"?month={rep.end + timedelta(days=1):%Y-%m}"
            ),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def report_csv(request):
    period, day = _report_params(request)
    rep = selectors.report(user=request.user, day=day, period=period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="finance-report-{rep.start}.csv"'
    response.write("\ufeff")
    reports.write_csv(response, rep, currency=request.user.currency)
    return response


@login_required
def report_pdf(request):
    period, day = _report_params(request)
    rep = selectors.report(user=request.user, day=day, period=period)
    pdf = reports.build_pdf(rep, user=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="finance-report-{rep.start}.pdf"'
    return response


@login_required
def export(request):
    user = request.user
    if request.GET.get("format") == "json":
        response = HttpResponse(
            json.dumps(selectors.export_data(user=user), indent=1), content_type="application/json"
        )
        response["Content-Disposition"] = 'attachment; filename="finance.json"'
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="transactions.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            "date",
            "kind",
            "account",
            "amount",
            "currency",
            "home_amount",
            "category",
            "payee",
            "note",
            "tags",
            "to_account",
            "to_amount",
        ]
    )
    qs = (
        selectors.transactions_for(user=user)
        .select_related("account", "category", "to_account")
        .order_by("on", "id")
    )
    for t in qs.iterator(chunk_size=2000):
        writer.writerow(
            [
                t.on,
                t.kind,
                t.account.name,
                t.amount,
                t.account.currency,
                t.home_amount,
                t.category.name if t.category else "",
                t.payee,
                t.note,
                " ".join(t.tag_list()),
                t.to_account.name if t.to_account else "",
                t.to_amount or "",
            ]
        )
    return response


# --- import --------------------------------------------------------------------------------


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "finance-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


BACKGROUND_ROWS = 5000


@login_required
def import_file(request):
    """Step 1: upload → dry run (counts, row errors, duplicates, mapping preview).
    Step 2: commit the same stored file (in the background for large files)."""
    user = request.user
    form = forms.ImportForm(request.POST or None, request.FILES or None, user=user)
    stored = request.session.get("finance_import")
    if request.method == "POST" and request.POST.get("step") == "commit" and stored:
        return _commit_import(request, stored)
    if request.method == "POST" and request.POST.get("step") == "remap" and stored:
        return _preview(request, stored, remap=True)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = uuid.uuid4().hex
        path = _upload_dir() / f"{user.pk}-{token}"
        with open(path, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        mapping = (
            form.cleaned_data["saved_mapping"].mapping
            if form.cleaned_data.get("saved_mapping")
            else {}
        )
        stored = {
            "path": str(path),
            "name": upload.name[:200],
            "account": form.cleaned_data["account"].pk,
            "mapping": mapping,
        }
        request.session["finance_import"] = stored
        return _preview(request, stored)
    return render(
        request, "finance/import.html", {"form": form, "batches": user.finance_imports.all()[:10]}
    )


def _stored_bytes(stored: dict, user) -> bytes:
    path = Path(stored["path"])
    if path.parent != _upload_dir() or not path.name.startswith(f"{user.pk}-") or not path.exists():
        raise Http404
    return path.read_bytes()


def _preview(request, stored: dict, remap: bool = False):
    user = request.user
    account = selectors.get_account(user=user, pk=stored["account"])
    data = _stored_bytes(stored, user)
    if remap:
        preliminary = services.import_file(
            user=user, account=account, data=data, filename=stored["name"], dry_run=True
        )
        mform = forms.MappingForm(request.POST, columns=preliminary.columns)
        if mform.is_valid():
            stored["mapping"] = mform.mapping()
            stored["save_as"] = mform.cleaned_data.get("save_as", "")
            request.session["finance_import"] = stored
    result = services.import_file(
        user=user,
        account=account,
        data=data,
        filename=stored["name"],
        dry_run=True,
        mapping=stored.get("mapping") or None,
    )
    initial = {k: v for k, v in (result.mapping or {}).items() if k != "delimiter"}
    mapping_form = (
        forms.MappingForm(initial=initial, columns=result.columns)
        if result.format == "csv" and result.columns
        else None
    )
    return render(
        request,
        "finance/import_preview.html",
        {
            "result": result,
            "account": account,
            "mapping_form": mapping_form,
            "background": result.imported > BACKGROUND_ROWS,
        },
    )


def _commit_import(request, stored: dict):
    from concierge.core.services import start_progress
    from concierge.core.tasking import enqueue_on_commit
    from concierge.finance.tasks import import_file_task

    user = request.user
    account = selectors.get_account(user=user, pk=stored["account"])
    data = _stored_bytes(stored, user)
    request.session.pop("finance_import", None)
    if data.count(b"\n") > BACKGROUND_ROWS:
        progress = start_progress(
            owner=user,
            kind="finance.import",
            label=_("Importing %(name)s") % {"name": stored["name"]},
        )
        enqueue_on_commit(
            import_file_task,
            user.pk,
            account.pk,
            stored["path"],
            stored["name"],
            stored.get("mapping") or {},
            str(progress.pk),
        )
        return render(request, "finance/import_progress.html", {"progress": progress})
    result = services.import_file(
        user=user,
        account=account,
        data=data,
        filename=stored["name"],
        dry_run=False,
        mapping=stored.get("mapping") or None,
        save_mapping_as=stored.get("save_as", ""),
    )
    Path(stored["path"]).unlink(missing_ok=True)
    if result.errors:
        messages.error(
            request, _("Nothing was imported: %(why)s") % {"why": result.errors[0]["message"]}
        )
        return redirect("finance:import")
    messages.success(
        request,
        _("Imported %(n)s transactions (%(d)s duplicates skipped).")
        % {"n": result.imported, "d": result.duplicates},
    )
    return redirect(reverse("finance:transactions") + f"?account={account.pk}")


# --- household -----------------------------------------------------------------------------


@login_required
def household(request):
    user = request.user
    current = selectors.household_for(user=user)
    create = forms.HouseholdForm(request.POST if request.POST.get("action") == "create" else None)
    invite = forms.InviteForm(request.POST if request.POST.get("action") == "invite" else None)
    if request.method == "POST":
        try:
            if create.is_bound and create.is_valid():
                services.create_household(user=user, name=create.cleaned_data["name"])
                return redirect("finance:household")
            if invite.is_bound and invite.is_valid() and current:
                services.invite_to_household(
                    user=user, household=current, email=invite.cleaned_data["email"]
                )
                messages.success(request, _("Invitation sent."))
                return redirect("finance:household")
        except ValidationError as exc:
            _form_error(invite if invite.is_bound else create, exc)
    return render(
        request,
        "finance/household.html",
        {
            "household": current,
            "create": create,
            "invite": invite,
            "members": current.members.all() if current else [],
            "shared": current.accounts.all() if current else [],
        },
    )


@login_required
def household_accept(request, token: str):
    if request.method == "POST":
        services.accept_household(user=request.user, token=token)
        messages.success(request, _("You joined the household."))
        return redirect("finance:accounts")
    return render(request, "finance/household_accept.html", {"token": token})
