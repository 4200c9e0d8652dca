from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from ninja import Router, Schema

from concierge.core.api import ErrorOut
from concierge.feedback import selectors, services

router = Router(tags=["feedback"])


class RatingIn(Schema):
    target: str  # "app_label.model", e.g. "helpdesk.ticket"
    target_id: str
    score: int
    comment: str = ""


class RatingOut(Schema):
    id: int
    score: int
    comment: str
    status: str


class SummaryOut(Schema):
    average: float | None
    count: int
    distribution: dict[int, int]


def _target(request, label: str, pk: str):
    try:
        model = apps.get_model(label)
        obj = model.objects.get(pk=pk)
    except (LookupError, ValueError, TypeError, ObjectDoesNotExist, ValidationError) as exc:
        raise Http404 from exc
    if not services.can_rate(user=request.auth, target=obj):
        raise Http404
    return obj


@router.post("/ratings", response={200: RatingOut, 404: ErrorOut, 422: ErrorOut})
def rate(request, payload: RatingIn):
    """Rate an object you may rate (a resolved ticket, a past hospital stay…)."""
    obj = _target(request, payload.target, payload.target_id)
    return services.rate(
        user=request.auth,
        target=obj,
        score=payload.score,
        comment=payload.comment,
        moderated=getattr(obj, "ratings_are_moderated", False),
    )


@router.get("/ratings/summary", response={200: SummaryOut, 404: ErrorOut})
def summary(request, target: str, target_id: str):
    obj = _target(request, target, target_id)
    s = selectors.summary_for(obj)
    return {"average": s.average, "count": s.count, "distribution": s.distribution}
