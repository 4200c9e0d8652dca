"""Helpers for journeys: `from helpers import login`."""


def login(page, email: str, password: str = "concierge-demo") -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
