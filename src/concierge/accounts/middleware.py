"""Signed-in users get their own language and time zone; new browsers get a device cookie."""

import zoneinfo

from django.utils import timezone, translation

from concierge.accounts.services import DEVICE_COOKIE

DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        new_device = getattr(request, "new_device_id", None)
        if new_device:
            response.set_cookie(
                DEVICE_COOKIE, new_device, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax"
            )
        return response
