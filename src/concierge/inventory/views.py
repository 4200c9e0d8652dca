"""Inventory pages — thin: parse, call a service or selector, render."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concierge.core.charts import Chart
from concierge.inventory import csvio, documents, forms, selectors, services
from concierge.inventory.models import (
    InventorySettings,
    Item,
    Movement,
    OnlineOrder,
    PurchaseOrder,
    Store,
    Transfer,
)
from concierge.inventory.services import ReceiptLine, SaleLine

SESSION_STORE = "inventory_store"


# --- helpers --------------------------------------------------------------------------------


def _store_for_moving_stock(request) -> Store:
    """The page's store, when the user may post movements there (receive, sell, adjust)."""
    store = _store(request)
    if not request.user.has_perm("inventory.move_stock", store):
        raise PermissionDenied
    return store


def _store(request) -> Store:
    """The store the page is about: ?store=, else the last one chosen, else the first."""
    requested = (
        request.GET.get("store") or request.POST.get("store") or request.session.get(SESSION_STORE)
    )
    store = selectors.default_store(user=request.user, requested=requested)
    if store is None and requested:
        store = selectors.default_store(user=request.user)
        if request.GET.get("store"):
            raise Http404("Not found.")
    if store is None:
        raise Http404("Not found.")
    if request.session.get(SESSION_STORE) != store.pk:
        # Only when it changes: writing the same value would save the session (an UPDATE and
        # a commit) on every page.
        request.session[SESSION_STORE] = store.pk
    return store


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for err in errors:
                message = " ".join(err.messages)
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def _needs_confirm(exc: ValidationError) -> bool:
    return hasattr(exc, "error_dict") and any(
        e.code == "confirm" for errors in exc.error_dict.values() for e in errors
    )


def _ctx(request, store, **extra):
    return {"store": store, "stores": selectors.stores_for(user=request.user), **extra}


def _csv(name: str, text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pdf(name: str, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# --- stock on hand --------------------------------------------------------------------------


@login_required
def index(request):
    if not selectors.stores_for(user=request.user).exists():
        return render(request, "inventory/no_store.html")
    store = _store(request)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    category = request.GET.get("category") or None
    try:
        category = int(category) if category else None
    except ValueError:
        category = None
    page = selectors.stock_page(
        store=store,
        query=query,
        category=category,
        status=status,
        after=_int_or_none(request.GET.get("after")),
        before=_int_or_none(request.GET.get("before")),
    )
    page.rows = selectors.with_reorder_points(page.rows, store=store)
    params = request.GET.copy()
    for key in ("page", "after", "before"):
        params.pop(key, None)
    return render(
        request,
        "inventory/index.html",
        _ctx(
            request,
            store,
            page=page,
            q=query,
            status=status,
            category=category,
            query=params.urlencode(),
            scan_form=forms.ScanForm(),
            categories=selectors.categories_for(organisation=store.organisation),
            counts=selectors.alert_counts(stores=[store]),
        ),
    )


@login_required
def scan(request):
    """Look a code up and go where it leads: the item page, or a receive/sell line."""
    store = _store(request)
    form = forms.ScanForm(request.GET or None)
    mode = request.GET.get("mode", "item")
    if form.is_valid():
        try:
            item = services.item_for_code(
                organisation=store.organisation, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            serial = (
                selectors.serial_in_stock(store=store, code=form.cleaned_data["code"])
                if mode == "sell"
                else None
            )
            if serial is not None:  # a serialised unit's own label: sell that unit
                query = urlencode({"item": serial.item_id, "serial": serial.serial})
                return redirect(f"{reverse('inventory:sell')}?{query}")
            messages.error(request, exc.messages[0])
        else:
            if mode in ("receive", "sell", "adjust"):
                return redirect(f"{reverse('inventory:' + mode)}?item={item.pk}")
            return redirect(f"{reverse('inventory:item', args=[item.pk])}?store={store.pk}")
    target = {
        "receive": "inventory:receive",
        "sell": "inventory:sell",
        "adjust": "inventory:adjust",
    }.get(mode, "inventory:index")
    return redirect(target)


def _scanned_item(request, store, scan_form) -> Item | None:
    item_id = request.GET.get("item") or request.POST.get("item")
    if not item_id:
        return None
    try:
        return selectors.items_for(user=request.user).get(
            pk=int(item_id), organisation=store.organisation
        )
    except (Item.DoesNotExist, ValueError) as exc:
        raise Http404("Not found.") from exc


def _cart(request, key) -> list[dict]:
    return request.session.setdefault(key, [])


# --- receive --------------------------------------------------------------------------------


@login_required
def receive(request):
    store = _store_for_moving_stock(request)
    scan_form = forms.ScanForm()
    item = _scanned_item(request, store, scan_form)
    cart_key = f"inv_receive_{store.pk}"
    cart = _cart(request, cart_key)
    line_form = forms.ReceiveLineForm(
        request.POST if request.POST.get("action") == "add" else None, store=store, item=item
    )
    header = forms.ReceiptHeaderForm(
        request.POST if request.POST.get("action") == "post" else None, store=store
    )
    action = request.POST.get("action")
    if action == "add" and item is not None and line_form.is_valid():
        d = line_form.cleaned_data
        cart.append(
            {
                "item": item.pk,
                "name": item.name,
                "unit": item.get_unit_display(),
                "quantity": str(d["quantity"]),
                "location": d["location"].pk if d["location"] else None,
                "location_code": d["location"].code if d["location"] else "",
                "batch_code": d["batch_code"],
                "expires_on": d["expires_on"].isoformat() if d["expires_on"] else "",
                "unit_cost": str(d["unit_cost"]) if d["unit_cost"] is not None else "",
                "serials": [s.strip() for s in d.get("serials", "").splitlines() if s.strip()],
            }
        )
        request.session.modified = True
        return redirect("inventory:receive")
    if action == "remove":
        idx = int(request.POST.get("index", -1))
        if 0 <= idx < len(cart):
            cart.pop(idx)
            request.session.modified = True
        return redirect("inventory:receive")
    if action == "post" and header.is_valid():
        items = {
            i.pk: i
            for i in Item.objects.filter(
                organisation=store.organisation, pk__in=[c["item"] for c in cart]
            )
        }
        locs = {loc.pk: loc for loc in store.locations.all()}
        lines = [
            ReceiptLine(
                item=items[c["item"]],
                quantity=Decimal(c["quantity"]),
                location=locs.get(c["location"]),
                batch_code=c["batch_code"],
                expires_on=date.fromisoformat(c["expires_on"]) if c["expires_on"] else None,
                unit_cost=Decimal(c["unit_cost"]) if c["unit_cost"] else None,
                serials=c.get("serials", []),
            )
            for c in cart
            if c["item"] in items
        ]
        try:
            moves = services.receive_stock(
                user=request.user,
                store=store,
                lines=lines,
                supplier=header.cleaned_data["supplier"],
                delivery_note=header.cleaned_data["delivery_note"],
                confirm=header.cleaned_data["confirm"],
            )
        except ValidationError as exc:
            _errors_to_form(header, exc)
        else:
            request.session[cart_key] = []
            messages.success(
                request,
                _("Received %(n)s lines into %(store)s.") % {"n": len(moves), "store": store.name},
            )
            return redirect("inventory:receive")
    return render(
        request,
        "inventory/receive.html",
        _ctx(
            request,
            store,
            scan_form=scan_form,
            item=item,
            line_form=line_form,
            header=header,
            cart=cart,
            mode="receive",
        ),
    )


# --- sell -----------------------------------------------------------------------------------


@login_required
def sell(request):
    store = _store_for_moving_stock(request)
    scan_form = forms.ScanForm()
    item = _scanned_item(request, store, scan_form)
    cart_key = f"inv_sell_{store.pk}"
    cart = _cart(request, cart_key)
    action = request.POST.get("action")
    line_form = forms.SellLineForm(
        request.POST if action == "add" else None,
        store=store,
        item=item,
        initial={"scanned_serials": request.GET.get("serial", "")},
    )
    header = forms.SaleHeaderForm(request.POST if action == "post" else None)
    suggestion = []
    if item is not None:
        try:
            suggestion = services.fefo_allocation(
                item=item, store=store, quantity=Decimal(request.POST.get("quantity") or 1)
            )
        except (ValidationError, ArithmeticError):
            suggestion = []
    if action == "add" and item is not None and line_form.is_valid():
        d = line_form.cleaned_data
        cart.append(
            {
                "item": item.pk,
                "name": item.name,
                "unit": item.get_unit_display(),
                "quantity": str(d["quantity"]),
                "unit_price": str(d["unit_price"]) if d["unit_price"] is not None else "",
                "serials": d.get("serial_list", []),
            }
        )
        request.session.modified = True
        return redirect("inventory:sell")
    if action == "remove":
        idx = int(request.POST.get("index", -1))
        if 0 <= idx < len(cart):
            cart.pop(idx)
            request.session.modified = True
        return redirect("inventory:sell")
    if action == "post" and header.is_valid():
        items = {
            i.pk: i
            for i in Item.objects.filter(
                organisation=store.organisation, pk__in=[c["item"] for c in cart]
            )
        }
        lines = [
            SaleLine(
                item=items[c["item"]],
                quantity=Decimal(c["quantity"]),
                unit_price=Decimal(c["unit_price"]) if c["unit_price"] else None,
                serials=c.get("serials", []),
            )
            for c in cart
            if c["item"] in items
        ]
        try:
            moves = services.sell_stock(
                user=request.user,
                store=store,
                lines=lines,
                reference=header.cleaned_data["reference"],
                confirm=header.cleaned_data["confirm"],
            )
        except ValidationError as exc:
            _errors_to_form(header, exc)
        else:
            request.session[cart_key] = []
            messages.success(request, _("Sale posted: %(n)s movements.") % {"n": len(moves)})
            return redirect("inventory:sell")
    return render(
        request,
        "inventory/sell.html",
        _ctx(
            request,
            store,
            scan_form=scan_form,
            item=item,
            line_form=line_form,
            header=header,
            cart=cart,
            suggestion=suggestion,
            mode="sell",
        ),
    )


# --- adjust / write off / return ------------------------------------------------------------


@login_required
def adjust(request):
    store = _store_for_moving_stock(request)
    item = _scanned_item(request, store, None)
    form = forms.AdjustForm(
        request.POST or None,
        store=store,
        item=item,
        initial={"kind": request.GET.get("kind", "adjust")},
    )
    if request.method == "POST" and item is not None and form.is_valid():
        d = form.cleaned_data
        try:
            if d["kind"] == "write_off":
                services.write_off(
                    user=request.user,
                    store=store,
                    item=item,
                    quantity=d["quantity"],
                    reason=d["reason"].strip().lower(),
                    location=d["location"],
                    batch=d["batch"],
                    serials=d.get("serials"),
                )
            elif d["kind"] == "return":
                services.return_stock(
                    user=request.user,
                    store=store,
                    item=item,
                    quantity=d["quantity"],
                    reason=d["reason"],
                    location=d["location"],
                    batch=d["batch"],
                    serials=d.get("serials"),
                )
            else:
                services.adjust_stock(
                    user=request.user,
                    store=store,
                    item=item,
                    quantity=d["quantity"],
                    reason=d["reason"],
                    location=d["location"],
                    batch=d["batch"],
                    serials=d.get("serials"),
                    confirm=d["confirm"],
                )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect(f"{reverse('inventory:item', args=[item.pk])}?store={store.pk}")
    return render(
        request,
        "inventory/adjust.html",
        _ctx(request, store, scan_form=forms.ScanForm(), item=item, form=form, mode="adjust"),
    )


# --- items ----------------------------------------------------------------------------------


@login_required
def items(request):
    store = _store(request)
    q = request.GET.get("q", "").strip()
    qs = (
        selectors.items_for(user=request.user)
        .filter(organisation=store.organisation)
        .select_related("category", "supplier")
    )
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(sku__iexact=q) | qs.filter(gtin=q)
    page = Paginator(qs.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/items.html",
        _ctx(
            request,
            store,
            page=page,
            q=q,
            query=f"q={q}" if q else "",
            can_manage=request.user.has_perm("inventory.manage", store),
        ),
    )


@login_required
def item_create(request):
    store = _store(request)
    if not request.user.has_perm("inventory.manage", store):
        raise PermissionDenied
    initial = {}
    main_pk = request.GET.get("variant_of", "")
    if main_pk.isdigit():  # "Add a variant" from the main item's page
        main = selectors.item_for(user=request.user, pk=int(main_pk))
        initial = {
            "variant_of_sku": main.sku,
            "name": main.name,
            "category": main.category_id,
            "supplier": main.supplier_id,
            "unit": main.unit,
            "cost": main.cost,
            "price": main.price,
            "tax_rate": main.tax_rate,
        }
    form = forms.ItemForm(request.POST or None, organisation=store.organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        try:
            item = services.create_item(user=request.user, organisation=store.organisation, **d)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Item created."))
            return redirect("inventory:item", item.pk)
    return render(request, "inventory/item_form.html", _ctx(request, store, form=form))


@login_required
def item_edit(request, pk):
    item = selectors.item_for(user=request.user, pk=pk)
    store = _store(request)
    if not request.user.has_perm("inventory.manage", item):
        raise PermissionDenied
    form = forms.ItemForm(
        request.POST or None, instance=Item.objects.get(pk=item.pk), organisation=item.organisation
    )
    if request.method == "POST" and form.is_valid():
        d = {k: v for k, v in form.cleaned_data.items() if k != "sku"}
        try:
            services.update_item(user=request.user, item=item, **d)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Item saved."))
            return redirect("inventory:item", item.pk)
    return render(request, "inventory/item_form.html", _ctx(request, store, form=form, item=item))


@login_required
def item_detail(request, pk):
    item = selectors.item_for(user=request.user, pk=pk)
    store = _store(request)
    if store.organisation_id != item.organisation_id:
        store = (
            selectors.stores_for(user=request.user).filter(organisation=item.organisation).first()
        )
    from concierge.inventory import forecast_link
    from concierge.inventory.models import ReorderRule

    rule = ReorderRule.objects.filter(item=item, store=store).first()
    plan = forecast_link.plans(store=store, item_ids=[item.pk]).get(item.pk) if store else None
    by_store = selectors.item_stock_by_store(item=item, user=request.user)
    return render(
        request,
        "inventory/item.html",
        _ctx(
            request,
            store,
            item=item,
            by_store=by_store,
            levels=selectors.item_levels(item=item, store=store),
            moves=selectors.item_movements(item=item, store=store, limit=30),
            network=selectors.network_availability(user=request.user, item=item, own=by_store),
            variants=selectors.variants_of(item=item, store=store),
            serials=selectors.serial_histories(item=item) if item.serialised else [],
            rule=rule,
            plan=plan,
            rule_form=forms.ReorderRuleForm(
                stores=selectors.stores_for(user=request.user).filter(
                    organisation=item.organisation
                ),
                initial={
                    "store": store,
                    "reorder_point": rule.reorder_point if rule else 0,
                    "reorder_qty": rule.reorder_qty if rule else 0,
                    "max_qty": rule.max_qty if rule else None,
                },
            ),
            can_manage=request.user.has_perm("inventory.manage", item),
        ),
    )


@login_required
@require_POST
def reorder_rule(request, pk):
    item = selectors.item_for(user=request.user, pk=pk)
    form = forms.ReorderRuleForm(
        request.POST,
        stores=selectors.stores_for(user=request.user).filter(organisation=item.organisation),
    )
    if form.is_valid():
        try:
            services.set_reorder_rule(user=request.user, item=item, **form.cleaned_data)
            messages.success(request, _("Reorder settings saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(
            request,
            _("Check the reorder settings: %(e)s")
            % {"e": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
        )
    return redirect("inventory:item", item.pk)


@login_required
def item_labels(request):
    store = _store(request)
    ids = [int(i) for i in request.GET.getlist("item") if i.isdigit()]
    qs = selectors.items_for(user=request.user).filter(organisation=store.organisation)
    qs = qs.filter(pk__in=ids) if ids else qs.order_by("name")[:63]
    copies = (
        min(max(int(request.GET.get("copies", "1") or 1), 1), 21)
        if request.GET.get("copies", "1").isdigit()
        else 1
    )
    return _pdf("labels.pdf", documents.item_labels(list(qs), copies=copies))


@login_required
def batch_labels(request, pk):
    batch = selectors.batch_for(user=request.user, pk=pk)
    return _pdf(f"batch-{batch.code}.pdf", documents.batch_labels([batch]))


@login_required
def item_forecast(request, pk):
    item = selectors.item_for(user=request.user, pk=pk)
    store = _store(request)
    from concierge.inventory import forecast_link

    history = selectors.daily_sales(item=item, store=store, days=120)
    fc = selectors.forecast_for(item=item, store=store)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[d for d, _q in history], y=[q for _d, q in history], name=_("Sold"), mode="lines"
        )
    )
    if fc:
        xs = [f.day for f in fc]
        if all(f.high is not None for f in fc):
            fig.add_trace(
                go.Scatter(
                    x=xs + xs[::-1],
                    y=[float(f.high) for f in fc] + [float(f.low or 0) for f in fc][::-1],
                    fill="toself",
                    name=_("Likely range (8 in 10 days)"),
                    mode="none",
                    opacity=0.3,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[float(f.quantity) for f in fc],
                name=_("Forecast"),
                mode="lines",
                line={"dash": "dash"},
            )
        )
    chart = Chart(
        fig,
        _("Daily demand of %(item)s") % {"item": item.name},
        headers=[_("Day"), _("Forecast"), _("Low"), _("High")],
        rows=[[f.day, f.quantity, f.low, f.high] for f in fc],
    )
    from concierge.inventory.models import ReorderRule

    return render(
        request,
        "inventory/forecast.html",
        _ctx(
            request,
            store,
            item=item,
            chart=chart,
            forecast=fc,
            model=fc[0].model if fc else "",
            plan=forecast_link.plans(store=store, item_ids=[item.pk]).get(item.pk),
            rule=ReorderRule.objects.filter(item=item, store=store).first(),
            engine_ready=forecast_link.engine() is not None,
        ),
    )


@login_required
@require_POST
def forecast_run(request):
    store = _store(request)
    if not request.user.has_perm("inventory.manage", store):
        raise PermissionDenied
    from concierge.core.services import start_progress
    from concierge.core.tasking import enqueue_on_commit
    from concierge.inventory.tasks import forecast_stores

    progress = start_progress(
        owner=request.user,
        kind="inventory.forecast",
        label=_("Forecasting demand for %(s)s") % {"s": store.name},
        total=1,
    )
    enqueue_on_commit(forecast_stores, [store.pk], progress.pk)
    return render(
        request, "inventory/forecast_running.html", _ctx(request, store, progress=progress)
    )


# --- import / export ------------------------------------------------------------------------


def _import(request, kind: str):
    store = _store(request)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        fn = csvio.import_items if kind == "items" else csvio.import_stock
        try:
            result = fn(
                user=request.user,
                organisation=store.organisation,
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        if result is not None and result.ok and not result.dry_run:
            messages.success(
                request,
                _("Imported: %(c)s new, %(u)s changed, %(n)s unchanged.")
                % {"c": result.created, "u": result.updated, "n": result.unchanged},
            )
    columns = csvio.ITEM_COLUMNS if kind == "items" else csvio.STOCK_COLUMNS
    return render(
        request,
        "inventory/import.html",
        _ctx(request, store, form=form, result=result, kind=kind, columns=columns),
    )


@login_required
def import_items(request):
    return _import(request, "items")


@login_required
def import_stock(request):
    return _import(request, "stock")


@login_required
def export_items(request):
    store = _store(request)
    return _csv("items.csv", csvio.export_items(organisation=store.organisation))


@login_required
def export_stock(request):
    store = _store(request)
    if request.GET.get("detail") == "levels":
        return _csv(f"stock-levels-{store.code}.csv", csvio.export_stock(store=store))
    return _csv(f"stock-{store.code}.csv", csvio.export_stock_summary(store=store))


@login_required
def export_movements(request):
    store = _store(request)
    return _csv(f"movements-{store.code}.csv", csvio.export_movements(store=store))


# --- locations and stocktake ----------------------------------------------------------------


@login_required
def locations(request, pk):
    store = selectors.store_for(user=request.user, pk=pk)
    request.session[SESSION_STORE] = store.pk
    return render(
        request,
        "inventory/locations.html",
        _ctx(request, store, tree=selectors.location_tree(store=store)),
    )


@login_required
def store_settings(request, pk):
    store = selectors.store_for(user=request.user, pk=pk)
    if not request.user.has_perm("inventory.manage", store):
        raise PermissionDenied
    form = forms.StoreSettingsForm(request.POST or None, instance=Store.objects.get(pk=store.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_store(user=request.user, store=store, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Store settings saved."))
            return redirect("inventory:locations", store.pk)
    return render(request, "inventory/store_settings.html", _ctx(request, store, form=form))


@login_required
def location_labels(request, pk):
    store = selectors.store_for(user=request.user, pk=pk)
    return _pdf(
        f"bins-{store.code}.pdf",
        documents.bin_labels(list(store.locations.select_related("store"))),
    )


@login_required
def stocktake(request, pk):
    location = selectors.location_for(user=request.user, pk=pk)
    store = location.store
    sheet = selectors.count_sheet(location=location)
    rows, counts, errors = [], {}, []
    for lvl in sheet:
        name = f"c_{lvl.item_id}_{lvl.batch_id or 0}"
        raw = request.POST.get(name, "").strip()
        counted = None
        if raw:
            try:
                counted = Decimal(raw)
                if counted < 0:
                    raise ArithmeticError
                counts[(lvl.item_id, lvl.batch_id)] = counted
            except (ArithmeticError, ValueError):
                errors.append(
                    _("%(item)s: “%(v)s” is not a count.") % {"item": lvl.item.name, "v": raw}
                )
        rows.append(
            {
                "level": lvl,
                "name": name,
                "raw": raw,
                "counted": counted,
                "variance": (counted - lvl.quantity) if counted is not None else None,
            }
        )
    step = request.POST.get("step")
    if step in ("review", "post"):
        # A serialised item's units must be named, which the adjust page does; its variance
        # is refused here (the service refuses it too) with a link to that page.
        adjust = reverse("inventory:adjust")
        for r in rows:
            item = r["level"].item
            if item.serialised and r["variance"]:
                errors.append(
                    services.serialised_variance_message(item=item, variance=r["variance"])
                )
                r["adjust_url"] = f"{adjust}?store={store.pk}&item={item.pk}&kind=adjust"
    if step == "post" and not errors and counts:
        try:
            moves = services.post_stocktake(
                user=request.user,
                location=location,
                counts=counts,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            errors += exc.messages
        else:
            messages.success(request, _("Stocktake posted: %(n)s adjustments.") % {"n": len(moves)})
            return redirect("inventory:locations", store.pk)
    return render(
        request,
        "inventory/stocktake.html",
        _ctx(
            request,
            store,
            location=location,
            rows=rows,
            errors=errors,
            reviewing=step in ("review", "post") and not errors,
            variances=sum(1 for r in rows if r["variance"]),
        ),
    )


# --- movements ------------------------------------------------------------------------------


@login_required
def movements(request):
    store = _store(request)
    kind = request.GET.get("kind", "")
    if kind not in Movement.Kind.values:
        kind = ""
    page = Paginator(selectors.movements_for(store=store, kind=kind), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inventory/movements.html",
        _ctx(
            request,
            store,
            page=page,
            kind=kind,
            kinds=Movement.Kind.choices,
            query=f"kind={kind}" if kind else "",
        ),
    )


# --- reorders and purchase orders -----------------------------------------------------------


@login_required
def reorder(request):
    store = _store(request)
    if request.method == "POST":
        supplier = selectors.supplier_for(user=request.user, pk=request.POST.get("supplier"))
        try:
            po = services.order_suggestions(user=request.user, store=store, supplier=supplier)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Draft order %(n)s created — check it and send it.") % {"n": po.number}
            )
            return redirect("inventory:purchase_order", po.pk)
    suggestions = selectors.reorder_suggestions(user=request.user, store=store)
    groups: dict = {}
    for s in suggestions:
        groups.setdefault(s.supplier, []).append(s)
    return render(
        request,
        "inventory/reorder.html",
        _ctx(
            request,
            store,
            groups=list(groups.items()),
            can_order=request.user.has_perm("inventory.order", store),
        ),
    )


@login_required
def purchase_orders(request):
    store = _store(request)
    qs = (
        selectors.purchase_orders_for(user=request.user).filter(store=store).order_by("-created_at")
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    from django.utils import timezone

    return render(
        request,
        "inventory/purchase_orders.html",
        _ctx(request, store, page=page, today=timezone.localdate(), query=""),
    )


@login_required
def purchase_order(request, pk):
    order = selectors.purchase_order_for(user=request.user, pk=pk)
    store = order.store
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "send":
                services.send_purchase_order(user=request.user, order=order)
                messages.success(request, _("Order sent to %(s)s.") % {"s": order.supplier.email})
            elif action == "cancel":
                services.cancel_purchase_order(user=request.user, order=order)
                messages.success(request, _("Order cancelled."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("inventory:purchase_order", order.pk)
    from django.utils import timezone

    return render(
        request,
        "inventory/purchase_order.html",
        _ctx(
            request,
            store,
            order=order,
            lines=order.lines.select_related("item"),
            overdue=order.status in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIAL)
            and order.expected_on
            and order.expected_on < timezone.localdate(),
            receive_form=forms.PurchaseOrderReceiveForm(order=order),
            can_order=request.user.has_perm("inventory.order", order),
        ),
    )


@login_required
@require_POST
def purchase_order_receive(request, pk):
    order = selectors.purchase_order_for(user=request.user, pk=pk)
    form = forms.PurchaseOrderReceiveForm(request.POST, order=order)
    if form.is_valid():
        lines = {}
        for line in form.lines:
            qty = form.cleaned_data.get(f"qty_{line.pk}")
            if qty:
                lines[line.pk] = ReceiptLine(
                    item=line.item,
                    quantity=qty,
                    expires_on=form.cleaned_data.get(f"exp_{line.pk}"),
                    serials=form.cleaned_data.get(f"serials_{line.pk}") or [],
                )
        try:
            services.receive_purchase_order(
                user=request.user,
                order=order,
                lines=lines,
                delivery_note=form.cleaned_data["delivery_note"],
                confirm=form.cleaned_data["confirm"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Delivery received."))
            return redirect("inventory:purchase_order", order.pk)
    from django.utils import timezone

    return render(
        request,
        "inventory/purchase_order.html",
        _ctx(
            request,
            order.store,
            order=order,
            lines=order.lines.select_related("item"),
            receive_form=form,
            overdue=False,
            today=timezone.localdate(),
            can_order=request.user.has_perm("inventory.order", order),
        ),
    )


@login_required
def purchase_order_pdf(request, pk):
    order = selectors.purchase_order_for(user=request.user, pk=pk)
    return _pdf(f"{order.number}.pdf", documents.purchase_order_pdf(order))


# --- transfers ------------------------------------------------------------------------------


@login_required
def transfers(request):
    store = _store(request)
    qs = selectors.transfers_for(user=request.user).order_by("-created_at")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    in_transit = selectors.stock_list(store=store, status="in_transit")[:50]
    return render(
        request,
        "inventory/transfers.html",
        _ctx(request, store, page=page, in_transit=in_transit, query=""),
    )


@login_required
def transfer_create(request):
    store = _store(request)
    initial = {}
    if request.GET.get("item"):
        initial["item"] = request.GET["item"]
    if request.GET.get("from"):
        initial["from_store"] = request.GET["from"]
    form = forms.TransferForm(
        request.POST or None,
        initial=initial,
        sources=selectors.transfer_sources(user=request.user, store=store),
        items=selectors.items_for(user=request.user).filter(organisation=store.organisation),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            t = services.request_transfer(
                user=request.user,
                from_store=d["from_store"],
                to_store=store,
                lines=[(d["item"], d["quantity"])],
                note=d["note"],
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError):
                _errors_to_form(form, exc)
            else:
                form.add_error(None, str(exc))
        else:
            messages.success(request, _("Transfer %(n)s requested.") % {"n": t.number})
            return redirect("inventory:transfer", t.pk)
    return render(request, "inventory/transfer_form.html", _ctx(request, store, form=form))


@login_required
def transfer_detail(request, pk):
    transfer = selectors.transfer_for(user=request.user, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        fn = {
            "approve": services.approve_transfer,
            "reject": services.reject_transfer,
            "ship": services.ship_transfer,
            "receive": services.receive_transfer,
        }.get(action)
        if fn is None:
            raise Http404("Not found.")
        if action == "ship":
            ship_form = forms.TransferShipForm(request.POST, transfer=transfer)
            if ship_form.is_valid():
                try:
                    services.ship_transfer(
                        user=request.user, transfer=transfer, serials=ship_form.serials()
                    )
                    messages.success(request, _("Transfer %(n)s updated.") % {"n": transfer.number})
                    return redirect("inventory:transfer", transfer.pk)
                except ValidationError as exc:
                    _form_errors(ship_form, exc)
                except PermissionDenied as exc:
                    messages.error(request, str(exc))
                    return redirect("inventory:transfer", transfer.pk)
            return _transfer_page(request, transfer, ship_form=ship_form)
        try:
            fn(user=request.user, transfer=transfer)
            messages.success(request, _("Transfer %(n)s updated.") % {"n": transfer.number})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("inventory:transfer", transfer.pk)
    return _transfer_page(request, transfer)


def _form_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: on the field of the same name, if any."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        for error in errors:
            form.add_error(key if key in form.fields else None, error)


def _transfer_page(request, transfer, *, ship_form=None):
    u = request.user
    try:
        store = _store(request)  # the store chosen in the switcher, as on every other page
    except Http404:
        store = None
    can_ship = transfer.status == Transfer.Status.APPROVED and u.has_perm(
        "inventory.ship_transfer", transfer
    )
    if can_ship and ship_form is None:
        ship_form = forms.TransferShipForm(transfer=transfer)
    return render(
        request,
        "inventory/transfer.html",
        _ctx(
            request,
            store,
            transfer=transfer,
            ship_form=ship_form if can_ship and ship_form.fields else None,
            lines=transfer.lines.select_related("item", "batch").prefetch_related(
                "unit_serials__serial"
            ),
            can_approve=transfer.status == Transfer.Status.REQUESTED
            and u.has_perm("inventory.approve_transfer", transfer),
            can_ship=can_ship,
            can_receive=transfer.status == Transfer.Status.SHIPPED
            and u.has_perm("inventory.receive_transfer", transfer),
        ),
    )


# --- alerts and reports ---------------------------------------------------------------------


@login_required
def alerts_page(request):
    store = _store(request)
    from concierge.inventory.models import InventorySettings

    conf = InventorySettings.objects.filter(organisation=store.organisation).first()
    days = conf.expiry_warning_days if conf else 7
    return render(
        request,
        "inventory/alerts.html",
        _ctx(
            request,
            store,
            alerts=selectors.active_alerts(store=store, limit=200),
            expiring=selectors.expiring_batches(store=store, days=days),
            days=days,
        ),
    )


def _bar(title, xs, ys, label):
    fig = go.Figure(go.Bar(x=xs, y=ys, name=label))
    return Chart(
        fig, title, headers=["", label], rows=[[x, y] for x, y in zip(xs, ys, strict=True)]
    )


@login_required
def reports(request):
    store = _store(request)
    org = store.organisation
    by_store = selectors.value_by_store(organisation=org)
    by_cat = selectors.value_by_category(organisation=org, store=store)
    value_store = _bar(
        _("Stock value by store"),
        [r["store__name"] for r in by_store],
        [float(r["value"] or 0) for r in by_store],
        _("Value"),
    )
    value_cat = _bar(
        _("Stock value by category"),
        [r["item__category__name"] or _("None") for r in by_cat],
        [float(r["value"] or 0) for r in by_cat],
        _("Value"),
    )
    mov = selectors.movements_over_time(store=store, days=90)
    fig = go.Figure()
    kinds = dict(Movement.Kind.choices)
    for kind in sorted({r["kind"] for r in mov}):
        pts = [r for r in mov if r["kind"] == kind]
        fig.add_trace(
            go.Bar(
                x=[r["day"] for r in pts],
                y=[float(abs(r["q"])) for r in pts],
                name=str(kinds.get(kind, kind)),
            )
        )
    fig.update_layout(barmode="stack")
    movements_chart = Chart(
        fig,
        _("Units moved per day"),
        headers=[_("Day"), _("Kind"), _("Units")],
        rows=[[r["day"], kinds.get(r["kind"]), r["q"]] for r in mov][-60:],
    )
    turnover = selectors.turnover(store=store)
    return render(
        request,
        "inventory/reports.html",
        _ctx(
            request,
            store,
            value_store=value_store,
            value_cat=value_cat,
            movements_chart=movements_chart,
            top=turnover[:15],
            dead=selectors.dead_stock(store=store)[:20],
            losses=selectors.expiry_losses(organisation=org),
            suppliers=selectors.supplier_performance(organisation=org),
            stores_perf=selectors.store_performance(organisation=org),
            stock_value=selectors.stock_value(store=store),
            valuation=InventorySettings.Valuation(selectors.valuation_of(organisation=org)).label,
        ),
    )


@login_required
def report_csv(request, name):
    store = _store(request)
    out = io.StringIO()
    w = csv.writer(out)
    if name == "turnover":
        w.writerow(
            ["sku", "item", "on_hand", "sold_90d", "revenue", "margin", "days_of_cover", "turnover"]
        )
        for t in selectors.turnover(store=store):
            w.writerow(
                [
                    t.item.sku,
                    t.item.name,
                    t.on_hand,
                    t.sold,
                    t.revenue,
                    t.margin,
                    t.days_of_cover if t.days_of_cover is not None else "",
                    t.turnover if t.turnover is not None else "",
                ]
            )
    elif name == "value":
        w.writerow(["store", "category", "units", "value"])
        for r in selectors.value_by_category(organisation=store.organisation, store=store):
            w.writerow(
                [store.name, r["item__category__name"] or "", r["units"], round(r["value"] or 0, 2)]
            )
    elif name == "dead":
        w.writerow(["sku", "item", "on_hand", "last_sale"])
        for s in selectors.dead_stock(store=store):
            w.writerow([s.item.sku, s.item.name, s.on_hand, s.last_sale_at or ""])
    elif name == "suppliers":
        w.writerow(["supplier", "orders", "lead_time_days", "actual_lead_days", "fill_rate"])
        for r in selectors.supplier_performance(organisation=store.organisation):
            w.writerow(
                [
                    r["supplier"].name,
                    r["orders"],
                    r["lead_time_days"],
                    r["actual_lead_days"] or "",
                    r["fill_rate"] or "",
                ]
            )
    elif name == "losses":
        w.writerow(["store", "reason", "units", "value"])
        for r in selectors.expiry_losses(organisation=store.organisation):
            w.writerow([r["store__name"], r["reason"], r["units"], round(r["value"] or 0, 2)])
    else:
        raise Http404("Not found.")
    return _csv(f"{name}-{store.code}.csv", out.getvalue())


# --- organisation settings, online orders, webhooks, network --------------------------------


def _managed_store(request) -> Store:
    store = _store(request)
    if not request.user.has_perm("inventory.manage", store.organisation):
        raise PermissionDenied
    return store


@login_required
def inventory_settings(request):
    store = _managed_store(request)
    org = store.organisation
    form = forms.InventorySettingsForm(request.POST or None, instance=services.settings_for(org))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_inventory_settings(
                user=request.user, organisation=org, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Inventory settings saved."))
            return redirect("inventory:settings")
    return render(request, "inventory/settings.html", _ctx(request, store, form=form))


@login_required
def online_orders(request):
    store = _store(request)
    status = request.GET.get("status", "")
    page = Paginator(selectors.online_orders(store=store, status=status), 30).get_page(
        request.GET.get("page")
    )
    for order in page:  # serialised units are picked on the fulfil page
        order.needs_serials = any(line.item.serialised for line in order.lines.all())
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "inventory/online_orders.html",
        _ctx(
            request,
            store,
            page=page,
            status=status,
            statuses=OnlineOrder.Status.choices,
            query=params.urlencode(),
            can_move=request.user.has_perm("inventory.move_stock", store),
        ),
    )


@login_required
@require_POST
def online_order_action(request, pk):
    order = selectors.online_order_by_pk(user=request.user, pk=pk)
    action = request.POST.get("action")
    try:
        if action == "fulfil":
            if order.lines.filter(item__serialised=True).exists():
                return redirect("inventory:online_order_fulfil", pk=order.pk)
            services.fulfil_online_order(user=request.user, order=order)
            messages.success(request, _("Order %(id)s fulfilled.") % {"id": order.external_id})
        elif action == "cancel":
            services.cancel_online_order(user=request.user, order=order)
            messages.success(
                request,
                _("Order %(id)s cancelled; its stock is free again.") % {"id": order.external_id},
            )
        else:
            return HttpResponseBadRequest(_("Unknown action."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('inventory:online_orders')}?store={order.store_id}")


@login_required
def online_order_fulfil(request, pk):
    """Fulfil an online order with serialised items: the serial number of each unit sent."""
    order = selectors.online_order_by_pk(user=request.user, pk=pk)
    form = forms.FulfilOrderForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        try:
            services.fulfil_online_order(user=request.user, order=order, serials=form.serials())
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Order %(id)s fulfilled.") % {"id": order.external_id})
            return redirect(f"{reverse('inventory:online_orders')}?store={order.store_id}")
    return render(
        request,
        "inventory/online_order_fulfil.html",
        _ctx(request, order.store, order=order, form=form),
    )


@login_required
def webhooks(request):
    store = _managed_store(request)
    org = store.organisation
    form = forms.WebhookForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.create_webhook(
                user=request.user,
                organisation=org,
                url=form.cleaned_data["url"],
                items=form.cleaned_data["skus"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Webhook added. Its signing secret is shown in the list; give it to the shop."),
            )
            return redirect(f"{reverse('inventory:webhooks')}#hook-{sub.pk}")
    return render(
        request,
        "inventory/webhooks.html",
        _ctx(
            request,
            store,
            form=form,
            subs=selectors.webhooks_for(organisation=org),
            deliveries=selectors.recent_deliveries(organisation=org),
        ),
    )


@login_required
@require_POST
def webhook_action(request, pk):
    sub = selectors.webhook_for(user=request.user, pk=pk)
    action = request.POST.get("action")
    if action == "pause":
        services.update_webhook(user=request.user, subscription=sub, active=False)
    elif action == "resume":
        services.update_webhook(user=request.user, subscription=sub, active=True)
    elif action == "delete":
        services.delete_webhook(user=request.user, subscription=sub)
        messages.success(request, _("Webhook removed."))
    else:
        return HttpResponseBadRequest(_("Unknown action."))
    return redirect("inventory:webhooks")


@login_required
@require_POST
def webhook_retry(request, pk):
    delivery = selectors.delivery_for(user=request.user, pk=pk)
    try:
        services.retry_webhook_delivery(user=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("inventory:webhooks")


@login_required
def network(request):
    """Networks this organisation is in: members, invitation codes, joining with a code."""
    store = _managed_store(request)
    org = store.organisation
    action = request.POST.get("action") if request.method == "POST" else None
    create_form = forms.NetworkCreateForm(request.POST if action == "create" else None)
    join_form = forms.NetworkJoinForm(request.POST if action == "join" else None)
    invite_form = forms.NetworkInviteForm(request.POST if action == "invite" else None)
    try:
        if action == "create" and create_form.is_valid():
            services.create_network(
                user=request.user, organisation=org, name=create_form.cleaned_data["name"]
            )
            messages.success(request, _("Network created. Invite other organisations to it."))
            return redirect("inventory:network")
        if action == "join" and join_form.is_valid():
            member = services.accept_network_invite(
                user=request.user, organisation=org, code=join_form.cleaned_data["code"]
            )
            messages.success(request, _("You joined %(name)s.") % {"name": member.network.name})
            return redirect("inventory:network")
        if action == "invite" and invite_form.is_valid():
            net = selectors.network_for(organisation=org, pk=request.POST.get("network", "0"))
            invite = services.invite_to_network(
                user=request.user,
                organisation=org,
                network=net,
                note=invite_form.cleaned_data["note"],
            )
            messages.success(
                request,
                _("Invitation code for %(name)s: %(code)s — valid for 14 days.")
                % {"name": net.name, "code": invite.code},
            )
            return redirect("inventory:network")
        if action == "revoke":
            invite = selectors.invite_for(organisation=org, pk=request.POST.get("invite", "0"))
            services.revoke_network_invite(user=request.user, organisation=org, invite=invite)
            return redirect("inventory:network")
        if action == "leave":
            net = selectors.network_for(organisation=org, pk=request.POST.get("network", "0"))
            services.leave_network(user=request.user, organisation=org, network=net)
            messages.success(request, _("You left %(name)s.") % {"name": net.name})
            return redirect("inventory:network")
    except ValidationError as exc:
        target = {"join": join_form, "create": create_form, "invite": invite_form}.get(action)
        if target is not None:
            _errors_to_form(target, exc)
        else:
            messages.error(request, " ".join(exc.messages))
    status = 422 if action and request.method == "POST" else 200
    return render(
        request,
        "inventory/network.html",
        _ctx(
            request,
            store,
            networks=selectors.networks_of(organisation=org),
            create_form=create_form,
            join_form=join_form,
            invite_form=invite_form,
        ),
        status=status,
    )
