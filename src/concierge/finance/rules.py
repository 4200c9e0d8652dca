"""Who may do what with finance data: the owner, and household members for shared accounts."""

import rules


@rules.predicate
def is_owner(user, obj) -> bool:
    return obj is not None and user.is_authenticated and obj.owner_id == user.pk


@rules.predicate
def shares_account(user, account) -> bool:
    if account is None or not user.is_authenticated or not account.household_id:
        return False
    from concierge.finance.models import HouseholdMember

    return (
        account.household.owner_id == user.pk
        or HouseholdMember.objects.filter(
            household_id=account.household_id, user=user, accepted_at__isnull=False
        ).exists()
    )


@rules.predicate
def owns_transaction_or_shares_account(user, txn) -> bool:
    return txn is not None and (txn.owner_id == user.pk or shares_account(user, txn.account))


rules.add_perm("finance.use_account", is_owner | shares_account)
rules.add_perm("finance.change_account", is_owner)
rules.add_perm("finance.change_transaction", owns_transaction_or_shares_account)
rules.add_perm("finance.change_category", is_owner)
rules.add_perm("finance.change_budget", is_owner)
rules.add_perm("finance.change_rule", is_owner)
rules.add_perm("finance.change_goal", is_owner)
rules.add_perm("finance.manage_household", is_owner)
