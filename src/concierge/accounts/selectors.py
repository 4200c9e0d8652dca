"""Who may see what. Every module scopes its queries with `scope_to_member`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from concierge.accounts.models import ROLE_RANK, Invitation, Membership, Organisation, Role


def memberships_for(*, user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organisation")


def organisations_for(
    *, user, roles: Iterable[str] | None = None, kind: str | None = None
) -> QuerySet[Organisation]:
    """Organisations where `user` holds one of `roles` (any role when None)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    orgs = Organisation.objects.filter(pk__in=memberships.values("organisation_id"))
    return orgs.filter(kind=kind) if kind else orgs


def role_in(*, user, organisation: Organisation) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
        .first()
    )


def has_role(*, user, organisation: Organisation, at_least: str) -> bool:
    role = role_in(user=user, organisation=organisation)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(at_least)]


def scope_to_member(
    queryset: QuerySet, *, user, path: str = "organisation", roles: Iterable[str] | None = None
) -> QuerySet:
    """Filter `queryset` to rows whose organisation (reached by `path`) the user belongs to."""
    orgs = organisations_for(user=user, roles=roles)
    return queryset.filter(**{f"{path}__in": orgs})


def get_scoped_or_404(
    queryset: QuerySet,
    *,
    user,
    path: str = "organisation",
    roles: Iterable[str] | None = None,
    **lookup,
):
    """The one object matching `lookup` that the user may see; anything else is a 404,
    so a stranger cannot even learn that the object exists."""
    try:
        return scope_to_member(queryset, user=user, path=path, roles=roles).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("Not found.") from exc


def organisation_for_member(*, user, slug: str, roles: Iterable[str] | None = None) -> Organisation:
    return get_scoped_or_404(
        Organisation.objects.all(), user=user, path="pk", roles=roles, slug=slug
    )


def members_of(*, organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("role", "user__email")


def invitation_by_token(*, token: str) -> Invitation | None:
    return Invitation.objects.filter(token=token).select_related("organisation").first()
