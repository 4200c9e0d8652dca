"""The inventory navigation: daily work in the row, the rest under "More" (one line at
1280 px), and "More" marked active when one of its pages is open."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="Inventory">(.*?)</nav>', html, re.S).group(1)


def test_every_inventory_page_is_still_reachable_from_the_navigation(client, shop):
    client.force_login(shop.manager)
    nav = _nav(client.get(reverse("inventory:index"), {"store": shop.store.pk}).content.decode())
    row, more = nav.split('dropdown-menu">')
    for name in ("index", "receive", "sell", "adjust", "items", "reorder", "purchase_orders"):
        assert f'href="{reverse("inventory:" + name)}"' in row
    for name in ("reports", "movements", "online_orders", "settings", "network", "webhooks"):
        assert f'href="{reverse("inventory:" + name)}"' in more
    assert f'href="{reverse("inventory:locations", args=[shop.store.pk])}"' in more
    assert "dropdown-toggle active" not in nav


def test_more_is_active_on_the_pages_under_it(client, shop):
    client.force_login(shop.manager)
    nav = _nav(client.get(reverse("inventory:movements")).content.decode())
    assert "dropdown-toggle active" in nav
    assert f'dropdown-item active" href="{reverse("inventory:movements")}"' in nav
