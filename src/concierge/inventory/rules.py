"""Who may do what with stock. Staff move stock; managers set rules, order and approve."""

import rules

from concierge.accounts.models import Role
from concierge.accounts.selectors import has_role


def _org(obj):
    """The organisation an inventory object belongs to."""
    if obj is None:
        return None
    if hasattr(obj, "kind") and hasattr(obj, "slug"):
        return obj
    if hasattr(obj, "organisation"):
        return obj.organisation
    if hasattr(obj, "store"):
        return obj.store.organisation
    return None


@rules.predicate
def is_store_staff(user, obj) -> bool:
    org = _org(obj)
    return org is not None and has_role(user=user, organisation=org, at_least=Role.STAFF)


@rules.predicate
def is_store_manager(user, obj) -> bool:
    org = _org(obj)
    return org is not None and has_role(user=user, organisation=org, at_least=Role.MANAGER)


@rules.predicate
def can_approve_transfer(user, transfer) -> bool:
    """The sending store's managers approve (or reject) a request for their stock."""
    return transfer is not None and has_role(
        user=user, organisation=transfer.from_store.organisation, at_least=Role.MANAGER
    )


@rules.predicate
def can_ship_transfer(user, transfer) -> bool:
    return transfer is not None and has_role(
        user=user, organisation=transfer.from_store.organisation, at_least=Role.STAFF
    )


@rules.predicate
def can_receive_transfer(user, transfer) -> bool:
    return transfer is not None and has_role(
        user=user, organisation=transfer.to_store.organisation, at_least=Role.STAFF
    )


rules.add_perm("inventory.view", is_store_staff)
rules.add_perm("inventory.move_stock", is_store_staff)
rules.add_perm("inventory.manage", is_store_manager)
rules.add_perm("inventory.order", is_store_manager)
rules.add_perm("inventory.approve_transfer", can_approve_transfer)
rules.add_perm("inventory.ship_transfer", can_ship_transfer)
rules.add_perm("inventory.receive_transfer", can_receive_transfer)
