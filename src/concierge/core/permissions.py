"""One way to check permissions: `require(user, "app.rule", obj)`."""

from django.core.exceptions import PermissionDenied


def require(user, permission: str, obj=None) -> None:
    """Raise PermissionDenied unless the `rules` predicate for `permission` holds."""
    if not user.has_perm(permission, obj):
        raise PermissionDenied(f"Not allowed: {permission}")
