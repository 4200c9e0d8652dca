from django.utils.translation import gettext_lazy as _

from concierge.core.modules import DashboardCard, ModuleConfig


class HospitalConfig(ModuleConfig):
    default = True
    name = "concierge.hospital"
    label = "hospital"
    verbose_name = _("Hospital")
    nav_title = _("Hospital beds")
    nav_url_name = "hospital:index"
    nav_icon = "bi-hospital"

    def ready(self) -> None:
        super().ready()
        from django.db.models.signals import post_delete, post_save

        from concierge.feedback.models import Rating

        post_save.connect(_rating_changed, sender=Rating, dispatch_uid="hospital-rating-saved")
        post_delete.connect(_rating_changed, sender=Rating, dispatch_uid="hospital-rating-deleted")

    def visible_to(self, user) -> bool:
        return True  # the bed dashboard is public

    def dashboard_cards(self, request):
        from concierge.hospital import selectors

        user = request.user
        cards = []
        staff = selectors.staff_card(user=user)
        if staff:
            cards.append(
                DashboardCard(
                    title=_("Beds in your hospitals"),
                    template="hospital/_card_staff.html",
                    context={"rows": staff},
                    order=20,
                )
            )
        bookings = list(selectors.bookings_for_requester(user=user)[:5])
        if bookings:
            cards.append(
                DashboardCard(
                    title=_("Your bed bookings"),
                    template="hospital/_card_family.html",
                    context={"bookings": bookings},
                    order=21,
                )
            )
        return cards

    def export_user_data(self, user):
        from concierge.hospital import selectors

        return {
            "bookings": [
                {
                    "id": b.pk,
                    "hospital": b.organisation.slug,
                    "ward_kind": b.ward_kind,
                    "feature": b.feature,
                    "patient_name": b.patient_name,
                    "age": b.patient_age,
                    "sex": b.patient_sex,
                    "reason": b.reason,
                    "status": b.status,
                    "created_at": b.created_at.isoformat(),
                }
                for b in selectors.bookings_for_requester(user=user)
            ],
        }

    def on_account_deleted(self, user) -> None:
        from concierge.hospital import services

        services.forget_requester(user=user)


def _rating_changed(sender, instance, **kwargs) -> None:
    """A review of a stay was saved or deleted: recount its hospital's kept aggregate."""
    from concierge.hospital import services

    services.rating_saved(instance)
