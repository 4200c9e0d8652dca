from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from concierge.api import api

urlpatterns = [
    path("", include("concierge.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("concierge.accounts.urls")),
    path("notifications/", include("concierge.notifications.urls")),
    path("feedback/", include("concierge.feedback.urls")),
    path("finance/", include("concierge.finance.urls")),
    path("helpdesk/", include("concierge.helpdesk.urls")),
    path("assistant/", include("concierge.assistant.urls")),
    path("hospital/", include("concierge.hospital.urls")),
    path("inventory/", include("concierge.inventory.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = "concierge.core.views.permission_denied"
handler404 = "concierge.core.views.page_not_found"
handler500 = "concierge.core.views.server_error"

if settings.DEBUG:
    urlpatterns.append(path("dev/", include("concierge.core.dev_urls")))
