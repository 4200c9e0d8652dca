"""Who may do what with beds, bookings and stays."""

import rules

from concierge.accounts.models import Organisation, Role
from concierge.accounts.selectors import has_role


@rules.predicate
def is_hospital_staff(user, organisation: Organisation | None) -> bool:
    """Ward staff, managers and admins of this hospital."""
    return (
        organisation is not None
        and user.is_authenticated
        and organisation.kind == Organisation.Kind.HOSPITAL
        and has_role(user=user, organisation=organisation, at_least=Role.STAFF)
    )


@rules.predicate
def is_hospital_manager(user, organisation: Organisation | None) -> bool:
    return (
        organisation is not None
        and user.is_authenticated
        and has_role(user=user, organisation=organisation, at_least=Role.MANAGER)
    )


@rules.predicate
def can_book_at(user, organisation: Organisation | None) -> bool:
    """Any signed-in person may ask a public hospital (or one they belong to) for a bed."""
    if organisation is None or not user.is_authenticated:
        return False
    if organisation.kind != Organisation.Kind.HOSPITAL:
        return False
    return organisation.is_public or has_role(
        user=user, organisation=organisation, at_least=Role.CUSTOMER
    )


@rules.predicate
def is_booking_requester(user, booking) -> bool:
    return booking is not None and user.is_authenticated and booking.requester_id == user.pk


@rules.predicate
def is_booking_staff(user, booking) -> bool:
    return booking is not None and is_hospital_staff(user, booking.organisation)


rules.add_perm("hospital.book_bed", can_book_at)
rules.add_perm("hospital.cancel_booking", is_booking_requester | is_booking_staff)
rules.add_perm("hospital.decide_booking", is_booking_staff)
rules.add_perm("hospital.operate_ward", is_hospital_staff)
rules.add_perm("hospital.view_reports", is_hospital_staff)
rules.add_perm("hospital.manage_beds", is_hospital_manager)
