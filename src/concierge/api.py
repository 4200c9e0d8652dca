"""The REST API: one NinjaAPI, each module mounting its router under /api/<module>/."""

from ninja import NinjaAPI

from concierge.accounts.api import router as accounts_router
from concierge.assistant.api import router as assistant_router
from concierge.core.api import AUTH, install_error_handlers
from concierge.feedback.api import router as feedback_router
from concierge.finance.api import router as finance_router
from concierge.helpdesk.api import router as helpdesk_router
from concierge.hospital.api import router as hospital_router
from concierge.inventory.api import router as inventory_router
from concierge.notifications.api import router as notifications_router

api = NinjaAPI(
    title="Concierge API",
    version="1",
    description=(
        "Authenticate with a personal access token (`Authorization: Bearer cg_…`, created on"
        " your profile's API tokens page) or the browser session. Errors are"
        ' `{"detail": …, "errors": [{"field": …, "message": …}]}`.'
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

api.add_router("/accounts/", accounts_router)
api.add_router("/notifications/", notifications_router)
api.add_router("/feedback/", feedback_router)
api.add_router("/finance/", finance_router)
api.add_router("/helpdesk/", helpdesk_router)
api.add_router("/assistant/", assistant_router)
api.add_router("/hospital/", hospital_router)
api.add_router("/inventory/", inventory_router)
