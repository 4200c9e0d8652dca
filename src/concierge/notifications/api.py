from datetime import datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from concierge.core.api import ErrorOut, Pagination
from concierge.notifications import selectors, services
from concierge.notifications.models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    event: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class UnreadOut(Schema):
    unread: int


@router.get("/", response=list[NotificationOut])
@paginate(Pagination)
def inbox(request, unread: bool = False):
    return selectors.inbox(user=request.auth, unread_only=unread)


@router.get("/unread", response=UnreadOut)
def unread(request):
    return {"unread": services.unread_count(user=request.auth)}


@router.post("/{notification_id}/read", response={200: NotificationOut, 404: ErrorOut})
def read(request, notification_id: int):
    try:
        return services.mark_read(user=request.auth, notification_id=notification_id)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc


@router.post("/read-all", response=UnreadOut)
def read_all(request):
    services.mark_all_read(user=request.auth)
    return {"unread": 0}
