"""/api/finance/ — thin: parse, call a service or selector, answer. Errors map to 4xx JSON."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from concierge.core.api import ErrorOut, Pagination
from concierge.finance import selectors, services
from concierge.finance.models import Transaction

router = Router(tags=["finance"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class AccountIn(Schema):
    name: str
    kind: str = "bank"
    currency: str = ""
    opening_balance: Decimal = Decimal("0")


class AccountOut(Schema):
    id: int
    name: str
    kind: str
    currency: str
    opening_balance: Decimal
    balance: Decimal
    shared: bool

    @staticmethod
    def resolve_shared(obj) -> bool:
        return obj.household_id is not None


class CategoryOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None


class CategoryIn(Schema):
    name: str
    kind: str = "expense"
    parent_id: int | None = None


class SplitSchema(Schema):
    category_id: int | None = None
    amount: Decimal
    note: str = ""


class TransactionIn(Schema):
    account_id: int
    kind: str
    amount: Decimal
    on: date
    category_id: int | None = None
    payee: str = ""
    note: str = ""
    tags: list[str] = []
    to_account_id: int | None = None
    to_amount: Decimal | None = None
    splits: list[SplitSchema] | None = None


class TransactionPatch(Schema):
    account_id: int | None = None
    kind: str | None = None
    amount: Decimal | None = None
    on: date | None = None
    category_id: int | None = None
    payee: str | None = None
    note: str | None = None
    tags: list[str] | None = None


class TransactionOut(Schema):
    id: int
    account_id: int
    kind: str
    amount: Decimal
    home_amount: Decimal
    on: date
    category_id: int | None
    payee: str
    note: str
    tags: list[str]
    to_account_id: int | None
    to_amount: Decimal | None
    is_split: bool
    source: str

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return obj.tag_list()


class BulkIn(Schema):
    idempotency_key: str
    items: list[TransactionIn]


class BulkOut(Schema):
    created: int
    ids: list[int]
    replayed: bool


class BudgetIn(Schema):
    category_id: int | None = None
    amount: Decimal
    rollover: bool = False


class BudgetStatusOut(Schema):
    id: int
    name: str
    category_id: int | None
    limit: Decimal
    spent: Decimal
    left: Decimal
    percent: int
    projected: Decimal
    cross_day: int | None


class RowOut(Schema):
    name: str
    amount: Decimal
    previous: Decimal


class ReportOut(Schema):
    start: date
    end: date
    currency: str
    income: Decimal
    expense: Decimal
    saved: Decimal
    prev_income: Decimal
    prev_expense: Decimal
    by_category: list[RowOut]
    by_payee: list[RowOut]
    by_tag: list[RowOut]


class ImportRowError(Schema):
    row: int | None = None
    message: str


class ImportOut(Schema):
    file: str
    format: str
    rows: int
    imported: int
    duplicates: int
    sum: str
    errors: list[ImportRowError]
    dry_run: bool
    preview: list[dict]


class TransactionPagination(Pagination):
    """core.api.Pagination, but an unfiltered list takes its count from the month totals
    instead of counting a million rows on every page."""

    def paginate_queryset(self, queryset, pagination, **params):
        fast = getattr(queryset, "fast_count", None)
        if fast is None or not hasattr(queryset, "count"):
            return super().paginate_queryset(queryset, pagination, **params)
        per_page = min(max(pagination.per_page, 1), 500)
        page = max(pagination.page, 1)
        pages = max((fast + per_page - 1) // per_page, 1)
        start = (page - 1) * per_page
        return {
            "items": list(queryset[start : start + per_page]),
            "count": fast,
            "page": page,
            "pages": pages,
            "next": page + 1 if page < pages else None,
        }


def _category(user, pk):
    return selectors.get_category(user=user, pk=pk) if pk else None


def _account(user, pk):
    return selectors.get_account(user=user, pk=pk) if pk else None


# --- accounts and categories ---------------------------------------------------------------


@router.get("/accounts", response={200: list[AccountOut], **ERRORS})
def list_accounts(request):
    return list(selectors.accounts_for(user=request.auth))


@router.post("/accounts", response={201: AccountOut, **ERRORS})
def create_account(request, payload: AccountIn):
    return 201, services.create_account(user=request.auth, **payload.dict())


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def get_account(request, account_id: int):
    return selectors.get_account(user=request.auth, pk=account_id)


@router.get("/categories", response={200: list[CategoryOut], **ERRORS})
def list_categories(request):
    services.ensure_profile(user=request.auth)
    return list(selectors.categories_for(user=request.auth))


@router.post("/categories", response={201: CategoryOut, **ERRORS})
def create_category(request, payload: CategoryIn):
    return 201, services.create_category(
        user=request.auth,
        name=payload.name,
        kind=payload.kind,
        parent=_category(request.auth, payload.parent_id),
    )


# --- transactions --------------------------------------------------------------------------


@router.get("/transactions", response={200: list[TransactionOut], **ERRORS})
@paginate(TransactionPagination)
def list_transactions(
    request,
    q: str = "",
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
    start: date | None = None,
    end: date | None = None,
    category_id: int | None = None,
    tag: str = "",
    account_id: int | None = None,
    kind: str = "",
):
    filters = selectors.TxnFilter(
        text=q,
        min_amount=min_amount,
        max_amount=max_amount,
        start=start,
        end=end,
        category_id=category_id,
        tag=tag,
        account_id=account_id,
        kind=kind,
    )
    qs = selectors.search_transactions(user=request.auth, filters=filters)
    if filters.is_empty():  # the month totals already know how many there are
        qs.fast_count = selectors.totals_of(user=request.auth, qs=qs, filters=filters).count
    return qs


def _kwargs(user, payload: TransactionIn) -> dict:
    return {
        "account": _account(user, payload.account_id),
        "kind": payload.kind,
        "amount": payload.amount,
        "on": payload.on,
        "category": _category(user, payload.category_id),
        "payee": payload.payee,
        "note": payload.note,
        "tags": payload.tags,
        "to_account": _account(user, payload.to_account_id),
        "to_amount": payload.to_amount,
        "splits": [
            services.SplitIn(_category(user, s.category_id), s.amount, s.note)
            for s in payload.splits
        ]
        if payload.splits
        else None,
    }


@router.post("/transactions", response={201: TransactionOut, **ERRORS})
def create_transaction(request, payload: TransactionIn):
    return 201, services.record_transaction(
        user=request.auth, source=Transaction.Source.API, **_kwargs(request.auth, payload)
    )


@router.post("/transactions/bulk", response={201: BulkOut, 200: BulkOut, **ERRORS})
def bulk_create(request, payload: BulkIn):
    result = services.bulk_record(
        user=request.auth,
        key=payload.idempotency_key,
        items=[_kwargs(request.auth, item) for item in payload.items],
    )
    return (200 if result["replayed"] else 201), result


@router.get("/transactions/{txn_id}", response={200: TransactionOut, **ERRORS})
def get_transaction(request, txn_id: int):
    return selectors.get_transaction(user=request.auth, pk=txn_id)


@router.patch("/transactions/{txn_id}", response={200: TransactionOut, **ERRORS})
def update_transaction(request, txn_id: int, payload: TransactionPatch):
    user = request.auth
    txn = selectors.get_transaction(user=user, pk=txn_id)
    changes = payload.dict(exclude_unset=True)
    if "account_id" in changes:
        changes["account"] = _account(user, changes.pop("account_id"))
    if "category_id" in changes:
        changes["category"] = _category(user, changes.pop("category_id"))
    return services.update_transaction(user=user, txn=txn, **changes)


@router.delete("/transactions/{txn_id}", response={204: None, **ERRORS})
def delete_transaction(request, txn_id: int):
    txn = selectors.get_transaction(user=request.auth, pk=txn_id)
    services.delete_transaction(user=request.auth, txn=txn)
    return 204, None


# --- budgets and reports -------------------------------------------------------------------


def _status_out(s) -> dict:
    return {
        "id": s.budget.pk,
        "name": s.name,
        "category_id": s.budget.category_id,
        "limit": s.limit,
        "spent": s.spent,
        "left": s.left,
        "percent": s.percent,
        "projected": s.projected,
        "cross_day": s.cross_day,
    }


@router.get("/budgets", response={200: list[BudgetStatusOut], **ERRORS})
def list_budgets(request, month: date | None = None):
    user = request.auth
    month = month or services.month_start(services.today_for(user))
    return [_status_out(s) for s in selectors.budget_statuses(user=user, month=month)]


@router.post("/budgets", response={201: BudgetStatusOut, **ERRORS})
def set_budget(request, payload: BudgetIn):
    user = request.auth
    budget = services.set_budget(
        user=user,
        category=_category(user, payload.category_id),
        amount=payload.amount,
        rollover=payload.rollover,
    )
    month = services.month_start(services.today_for(user))
    status = next(
        s for s in selectors.budget_statuses(user=user, month=month) if s.budget.pk == budget.pk
    )
    return 201, _status_out(status)


@router.delete("/budgets/{budget_id}", response={204: None, **ERRORS})
def delete_budget(request, budget_id: int):
    services.delete_budget(
        user=request.auth, budget=selectors.get_budget(user=request.auth, pk=budget_id)
    )
    return 204, None


@router.get("/reports", response={200: ReportOut, **ERRORS})
def get_report(request, month: str = "", period: str = "month"):
    user = request.auth
    try:
        day = date.fromisoformat(month + "-01") if month else services.today_for(user)
    except ValueError as exc:
        raise ValidationError({"month": "Use YYYY-MM."}) from exc
    rep = selectors.report(user=user, day=day, period="year" if period == "year" else "month")

    def rows(items):
        return [{"name": r.name, "amount": r.amount, "previous": r.previous} for r in items]

    return {
        "start": rep.start,
        "end": rep.end,
        "currency": user.currency,
        "income": rep.income,
        "expense": rep.expense,
        "saved": rep.saved,
        "prev_income": rep.prev_income,
        "prev_expense": rep.prev_expense,
        "by_category": rows(rep.by_category),
        "by_payee": rows(rep.by_payee),
        "by_tag": rows(rep.by_tag),
    }


# --- import: upload → dry run → commit -----------------------------------------------------


@router.post("/import", response={200: ImportOut, 201: ImportOut, **ERRORS})
def import_statement(
    request,
    account_id: int = Form(...),  # noqa: B008 - ninja's way to declare form fields
    dry_run: bool = Form(True),  # noqa: B008
    file: UploadedFile = File(...),  # noqa: B008
):
    """Send with dry_run=true first to see counts, duplicates and row errors; then again with
    dry_run=false to write. A file with errors writes nothing and answers 422."""
    user = request.auth
    account = selectors.get_account(user=user, pk=account_id)
    from django.conf import settings

    if file.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": "The file is too large."})
    result = services.import_file(
        user=user,
        account=account,
        data=file.read(),
        filename=file.name or "upload",
        dry_run=dry_run,
    )
    body = {**result.as_dict(), "dry_run": dry_run, "preview": result.preview}
    if result.errors:
        raise ValidationError(
            [
                e["message"] if e["row"] is None else f"Row {e['row']}: {e['message']}"
                for e in result.errors
            ]
        )
    return (200 if dry_run else 201), body


class QuestionOut(Schema):
    answer: str | None


@router.get("/ask", response={200: QuestionOut, **ERRORS})
def ask(request, q: str, language: str = "en"):
    return {"answer": selectors.answer_money_question(user=request.auth, text=q, language=language)}
