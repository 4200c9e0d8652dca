"""The demo world `manage.py seed_demo` builds; modules' seed.py files find it here."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "concierge-demo"


@dataclass(frozen=True)
class DemoLogin:
    key: str
    email: str
    name: str
    language: str
    memberships: tuple[tuple[str, str], ...]  # (organisation slug, role)
    what: str


ORGANISATIONS = {
    "acme-support": {
        "kind": "company",
        "name": "Acme Appliances Support",
        "city": "Chennai",
        "district": "Chennai",
        "language": "en",
        "is_public": True,
    },
    "city-general": {
        "kind": "hospital",
        "name": "City General Hospital",
        "city": "Chennai",
        "district": "Chennai",
        "language": "ta",
        "is_public": True,
        "address": "12 Poonamallee High Road",
        "phone": "+91 44 2530 5000",
    },
    "lakeview-hospital": {
        "kind": "hospital",
        "name": "Lakeview Multispeciality Hospital",
        "city": "Bengaluru",
        "district": "Bengaluru Urban",
        "language": "en",
        "is_public": True,
        "address": "80 Lake Road",
        "phone": "+91 80 4000 1234",
    },
    "corner-shops": {
        "kind": "retailer",
        "name": "Corner Shops Co-op",
        "city": "Chennai",
        "district": "Chennai",
        "language": "en",
        "is_public": False,
    },
}

LOGINS = [
    DemoLogin(
        "admin",
        "admin@demo.concierge",
        "Meera Admin",
        "en",
        (
            ("acme-support", "admin"),
            ("city-general", "admin"),
            ("corner-shops", "admin"),
            ("lakeview-hospital", "admin"),
        ),
        "admin of every demo organisation (and Django admin)",
    ),
    DemoLogin(
        "priya",
        "priya@demo.concierge",
        "Priya Raman",
        "en",
        (("acme-support", "customer"),),
        "a person with her own finances; a helpdesk customer",
    ),
    DemoLogin(
        "agent",
        "asha@demo.concierge",
        "Asha Agent",
        "en",
        (("acme-support", "agent"),),
        "helpdesk agent (English, Hindi)",
    ),
    DemoLogin(
        "agent2",
        "ravi@demo.concierge",
        "Ravi Agent",
        "ta",
        (("acme-support", "agent"),),
        "helpdesk agent (English, Tamil)",
    ),
    DemoLogin(
        "manager",
        "kavya@demo.concierge",
        "Kavya Manager",
        "en",
        (("acme-support", "manager"), ("corner-shops", "manager")),
        "helpdesk queue manager; shop manager",
    ),
    DemoLogin(
        "nurse",
        "nurse@demo.concierge",
        "Selvi Nurse",
        "ta",
        (("city-general", "staff"),),
        "ward staff at City General",
    ),
    DemoLogin(
        "family", "arjun@demo.concierge", "Arjun Kumar", "hi", (), "a family member who books beds"
    ),
    DemoLogin(
        "shopkeeper",
        "shop@demo.concierge",
        "Imran Shopkeeper",
        "en",
        (("corner-shops", "staff"),),
        "staff at the Corner Shops stores",
    ),
]


def demo_user(key: str):
    from concierge.accounts.models import User

    login = next(item for item in LOGINS if item.key == key)
    return User.objects.get(email=login.email)


def demo_org(slug: str):
    from concierge.accounts.models import Organisation

    return Organisation.objects.get(slug=slug)
