"""API building blocks every module router uses: auth, the error format, pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth


class FieldError(Schema):
    field: str | None = None
    message: str


class ErrorOut(Schema):
    """Every 4xx answer: {"detail": …, "errors": [{"field": …, "message": …}]}."""

    detail: str
    errors: list[FieldError] = []


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cg_…` — a personal access token from the profile page."""

    def authenticate(self, request: HttpRequest, token: str):
        from concierge.accounts.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class TokenHeaderAuth(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None):
        from concierge.accounts.services import user_for_token

        user = user_for_token(key or "")
        if user is not None:
            request.user = user
        return user


class SessionUserAuth(SessionAuth):
    """The browser's session (CSRF-checked for unsafe methods by ninja)."""

    def authenticate(self, request: HttpRequest, key: str | None):
        user = super().authenticate(request, key)
        return user if user and user.is_authenticated else None


AUTH = [TokenAuth(), TokenHeaderAuth(), SessionUserAuth()]


def error_body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def errors_from_django(exc: ValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": None if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": m} for m in exc.messages]


def errors_from_ninja(exc: NinjaValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        out.append({"field": ".".join(loc) or None, "message": err.get("msg", "Invalid value.")})
    return out


def install_error_handlers(api) -> None:
    @api.exception_handler(NinjaValidationError)
    def _ninja_validation(request, exc):
        return api.create_response(
            request, error_body("The request is not valid.", errors_from_ninja(exc)), status=422
        )

    @api.exception_handler(ValidationError)
    def _django_validation(request, exc):
        errors = errors_from_django(exc)
        detail = errors[0]["message"] if len(errors) == 1 else "The request is not valid."
        return api.create_response(request, error_body(detail, errors), status=422)

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return api.create_response(request, error_body(str(exc) or "Not allowed."), status=403)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, error_body("Not found."), status=404)

    @api.exception_handler(AuthenticationError)
    def _unauthorised(request, exc):
        return api.create_response(
            request,
            error_body("Sign in, or send a valid token as 'Authorization: Bearer …'."),
            status=401,
        )

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        return api.create_response(request, error_body(str(exc)), status=exc.status_code)


class PageOut(Schema):
    count: int
    page: int
    pages: int
    next: int | None = None


class Pagination(PaginationBase):
    """?page=N&per_page=M → {"items": […], "count": …, "page": …, "pages": …, "next": …}."""

    class Input(Schema):
        page: int = 1
        per_page: int = 50

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        pages: int
        next: int | None = None

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        per_page = min(max(pagination.per_page, 1), 500)
        page = max(pagination.page, 1)
        count = (
            queryset.count()
            if hasattr(queryset, "count") and not isinstance(queryset, list)
            else len(queryset)
        )
        pages = max((count + per_page - 1) // per_page, 1)
        start = (page - 1) * per_page
        return {
            "items": list(queryset[start : start + per_page]),
            "count": count,
            "page": page,
            "pages": pages,
            "next": page + 1 if page < pages else None,
        }
