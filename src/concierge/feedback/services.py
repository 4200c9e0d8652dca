"""Ratings and reviews on any object."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from concierge.feedback.models import Rating


def can_rate(*, user, target) -> bool:
    """An object decides who may rate it with `can_be_rated_by(user)`; default: signed-in."""
    if not user.is_authenticated:
        return False
    check = getattr(target, "can_be_rated_by", None)
    return bool(check(user)) if callable(check) else True


@transaction.atomic
def rate(
    *, user, target, score: int, comment: str = "", context: str = "", moderated: bool = False
) -> Rating:
    """Create or update the user's rating of `target`. `moderated` holds it for review."""
    if not can_rate(user=user, target=target):
        raise PermissionDenied(_("You cannot rate this."))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a rating from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise ValidationError({"comment": _("Keep the comment under 4,000 characters.")})
    content_type = ContentType.objects.get_for_model(target)
    rating, created = Rating.objects.select_for_update().get_or_create(
        user=user,
        target_type=content_type,
        target_id=str(target.pk),
        defaults={
            "score": score,
            "comment": comment,
            "context": context,
            "status": Rating.Status.PENDING if moderated else Rating.Status.PUBLISHED,
        },
    )
    if not created:
        rating.score = score
        rating.comment = comment
        if moderated and comment:
            rating.status = Rating.Status.PENDING
        rating.save(update_fields=["score", "comment", "status", "updated_at"])
    after = getattr(target, "after_rated", None)
    if callable(after):
        after(rating)
    return rating


@transaction.atomic
def moderate(*, moderator, rating: Rating, publish: bool) -> Rating:
    check = getattr(rating.target, "can_moderate_ratings", None)
    if not (callable(check) and check(moderator)) and not moderator.is_superuser:
        raise PermissionDenied(_("You cannot moderate this review."))
    rating.status = Rating.Status.PUBLISHED if publish else Rating.Status.HIDDEN
    rating.save(update_fields=["status", "updated_at"])
    return rating


@transaction.atomic
def rate_app(*, user, score: int, comment: str = "") -> Rating:
    """Feedback on Concierge itself: stored as a rating of the user's own account row."""
    if not 1 <= int(score) <= 5:
        raise ValidationError({"score": _("Choose a rating from 1 to 5.")})
    rating, _created = Rating.objects.update_or_create(
        user=user,
        target_type=ContentType.objects.get_for_model(user),
        target_id=str(user.pk),
        defaults={"score": int(score), "comment": comment.strip()[:4000], "context": "app"},
    )
    return rating
