from django.utils.translation import gettext_lazy as _

from concierge.core.modules import DashboardCard, ModuleConfig


class HelpdeskConfig(ModuleConfig):
    default = True  # apps.py also imports ModuleConfig; without this Django picks neither
    name = "concierge.helpdesk"
    label = "helpdesk"
    verbose_name = _("Helpdesk")
    nav_title = _("Helpdesk")
    nav_url_name = "helpdesk:index"

    def visible_to(self, user) -> bool:
        from concierge.helpdesk.selectors import helpdesk_organisations_for

        return bool(user.is_authenticated and helpdesk_organisations_for(user=user))

    def dashboard_cards(self, request) -> list[DashboardCard]:
        from concierge.helpdesk.selectors import (
            dashboard_figures,
            helpdesk_organisations_for,
            is_agent,
        )

        cards = []
        for org, _role in helpdesk_organisations_for(user=request.user)[:3]:
            agent = is_agent(user=request.user, organisation=org)
            cards.append(
                DashboardCard(
                    title=f"{_('Helpdesk')} · {org.name}",
                    template="helpdesk/_card.html",
                    context={
                        "org": org,
                        "agent": agent,
                        "figures": dashboard_figures(user=request.user, organisation=org),
                    },
                    order=20,
                )
            )
        return cards

    def export_user_data(self, user) -> dict:
        from concierge.helpdesk.models import Message, Ticket

        return {
            "tickets": [
                {
                    "organisation": t.organisation.slug,
                    "number": t.number,
                    "subject": t.subject,
                    "status": t.status,
                    "created_at": t.created_at.isoformat(),
                }
                for t in Ticket.objects.filter(customer=user).select_related("organisation")
            ],
            "messages": list(
                Message.objects.filter(author=user, kind=Message.Kind.PUBLIC).values(
                    "ticket__number", "body", "created_at"
                )
            ),
        }

    def on_account_deleted(self, user) -> None:
        """Tickets stay for the organisation's records; the person's address goes."""
        from concierge.helpdesk.models import Message, Ticket

        Ticket.objects.filter(customer=user).update(customer_email="", customer_name="")
        Message.objects.filter(author=user).update(author_email="")
