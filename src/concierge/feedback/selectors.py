"""Rating aggregates from one query."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, Q, QuerySet

from concierge.feedback.models import Rating


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int
    distribution: dict[int, int] = field(default_factory=dict)

    @property
    def percentages(self) -> dict[int, int]:
        return {
            s: round(100 * n / self.count) if self.count else 0
            for s, n in self.distribution.items()
        }


def published_for(target) -> QuerySet[Rating]:
    return Rating.objects.filter(
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        status=Rating.Status.PUBLISHED,
    )


def summarise(queryset: QuerySet[Rating]) -> RatingSummary:
    """Average, count and 1–5 distribution of any set of ratings, in one query."""
    agg = queryset.aggregate(
        average=Avg("score"),
        count=Count("id"),
        **{f"s{s}": Count("id", filter=Q(score=s)) for s in range(1, 6)},
    )
    return RatingSummary(
        average=round(agg["average"], 2) if agg["average"] is not None else None,
        count=agg["count"],
        distribution={s: agg[f"s{s}"] for s in range(5, 0, -1)},
    )


def summary_for(target) -> RatingSummary:
    return summarise(published_for(target))


def summary_for_model(model, ids=None, *, context: str = "") -> RatingSummary:
    """Aggregate over many objects of one model (e.g. CSAT of a queue's tickets)."""
    qs = Rating.objects.filter(
        target_type=ContentType.objects.get_for_model(model), status=Rating.Status.PUBLISHED
    )
    if ids is not None:
        qs = qs.filter(target_id__in=[str(i) for i in ids])
    if context:
        qs = qs.filter(context=context)
    return summarise(qs)


def rating_by(*, user, target) -> Rating | None:
    if not user.is_authenticated:
        return None
    return Rating.objects.filter(
        user=user, target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
    ).first()


def for_moderation(*, targets_qs) -> QuerySet[Rating]:
    model = targets_qs.model
    return Rating.objects.filter(
        target_type=ContentType.objects.get_for_model(model),
        target_id__in=[str(pk) for pk in targets_qs.values_list("pk", flat=True)],
        status=Rating.Status.PENDING,
    ).select_related("user")
