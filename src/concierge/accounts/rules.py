"""Permission predicates for organisations and memberships."""

import rules

from concierge.accounts.models import Organisation, Role
from concierge.accounts.selectors import has_role


@rules.predicate
def is_member(user, organisation: Organisation | None) -> bool:
    return organisation is not None and has_role(
        user=user, organisation=organisation, at_least=Role.CUSTOMER
    )


@rules.predicate
def is_org_manager(user, organisation: Organisation | None) -> bool:
    return organisation is not None and has_role(
        user=user, organisation=organisation, at_least=Role.MANAGER
    )


@rules.predicate
def is_org_admin(user, organisation: Organisation | None) -> bool:
    return organisation is not None and has_role(
        user=user, organisation=organisation, at_least=Role.ADMIN
    )


rules.add_perm("accounts.view_organisation", is_member)
rules.add_perm("accounts.manage_members", is_org_admin)
rules.add_perm("accounts.change_organisation", is_org_admin)
rules.add_perm("accounts.view_audit_log", is_org_admin)
