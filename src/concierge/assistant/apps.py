from django.utils.translation import gettext_lazy as _

from concierge.core.modules import DashboardCard, ModuleConfig


class AssistantConfig(ModuleConfig):
    default = True  # apps.py also imports ModuleConfig; without this Django picks neither
    name = "concierge.assistant"
    label = "assistant"
    verbose_name = _("Assistant")
    nav_title = _("Assistant")
    nav_url_name = "assistant:index"
    nav_order = 60  # after helpdesk: its seed makes the articles we link to

    def dashboard_cards(self, request):
        from concierge.assistant import selectors

        cards = []
        for org in selectors.seat_organisations(user=request.user)[:3]:
            cards.append(
                DashboardCard(
                    title=_("Live chat"),
                    template="assistant/_card_agent.html",
                    context={
                        "organisation": org,
                        "waiting": len(selectors.waiting_chats(organisation=org)),
                    },
                    order=20,
                )
            )
        return cards

    def export_user_data(self, user):
        from concierge.assistant.models import Conversation

        out = []
        for conv in Conversation.objects.filter(visitor=user).prefetch_related("messages"):
            out.append(
                {
                    "organisation": conv.organisation_id,
                    "started_at": conv.started_at.isoformat(),
                    "status": conv.status,
                    "messages": [
                        {"sender": m.sender, "text": m.text, "at": m.created_at.isoformat()}
                        for m in conv.messages.all()
                    ],
                }
            )
        return {"conversations": out}

    def on_account_deleted(self, user):
        from concierge.assistant.models import Conversation

        # Transcripts stay for the organisation (tickets refer to them), without the person.
        Conversation.objects.filter(visitor=user).update(visitor_name="", visitor_email="")
