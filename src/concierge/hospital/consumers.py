"""The public bed dashboard's socket: anyone may listen; it carries counts only."""

from concierge.core.consumers import ConciergeConsumer


class PublicBedsConsumer(ConciergeConsumer):
    require_login = False

    def groups_for(self, user) -> list[str]:
        from concierge.hospital.services import PUBLIC_GROUP

        return [PUBLIC_GROUP]
