from datetime import datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from concierge.accounts import selectors, services
from concierge.accounts.models import ApiToken, Role
from concierge.core.api import ErrorOut, Pagination

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    language: str
    timezone: str
    currency: str


class MeIn(Schema):
    display_name: str | None = None
    language: str | None = None
    timezone: str | None = None
    currency: str | None = None


class OrganisationOut(Schema):
    id: int
    slug: str
    name: str
    kind: str
    city: str
    timezone: str
    language: str
    currency: str
    role: str | None = None


class MemberOut(Schema):
    id: int
    email: str
    name: str
    role: str


class TokenIn(Schema):
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str


@router.get("/me", response=MeOut)
def me(request):
    return request.auth


@router.patch("/me", response={200: MeOut, 422: ErrorOut})
def update_me(request, payload: MeIn):
    changes = {k: v for k, v in payload.dict().items() if v is not None}
    return services.update_profile(user=request.auth, **changes)


@router.get("/organisations", response=list[OrganisationOut])
@paginate(Pagination)
def organisations(request):
    return [
        OrganisationOut(
            **{
                f: getattr(m.organisation, f)
                for f in ["id", "slug", "name", "kind", "city", "timezone", "language", "currency"]
            },
            role=m.role,
        )
        for m in selectors.memberships_for(user=request.auth).order_by("organisation__name")
    ]


@router.get("/organisations/{slug}/members", response={200: list[MemberOut], 404: ErrorOut})
@paginate(Pagination)
def members(request, slug: str):
    org = selectors.organisation_for_member(user=request.auth, slug=slug, roles=[Role.ADMIN])
    return [
        MemberOut(id=m.pk, email=m.user.email, name=m.user.name, role=m.role)
        for m in selectors.members_of(organisation=org)
    ]


@router.get("/tokens", response=list[TokenOut])
def tokens(request):
    return list(request.auth.api_tokens.filter(revoked_at__isnull=True))


@router.post("/tokens", response={201: NewTokenOut, 422: ErrorOut})
def create_token(request, payload: TokenIn):
    new = services.create_api_token(user=request.auth, name=payload.name, request=request)
    t = new.token
    return 201, NewTokenOut(
        id=t.pk,
        name=t.name,
        prefix=t.prefix,
        created_at=t.created_at,
        last_used_at=t.last_used_at,
        token=new.plain,
    )


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut})
def revoke_token(request, token_id: int):
    try:
        services.revoke_api_token(user=request.auth, token_id=token_id, request=request)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc
    return 204, None


@router.get("/export")
def export(request):
    """Everything Concierge holds about you, as JSON."""
    return services.export_personal_data(user=request.auth, request=request)
