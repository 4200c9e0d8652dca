"""The platform journey a new user takes: sign up, verify, log in, turn on two-factor
authentication, switch to Tamil, read a notification."""

import re

from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from helpers import login

PASSWORD = "a-long-unusual-passphrase"


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_new_user_signs_up_verifies_logs_in_turns_on_totp_and_reads_tamil(page, server, shot):
    email = "new.person@example.com"
    page.goto("/")
    shot(page, "landing")
    page.click("text=Create a free account")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    shot(page, "sign-up-form")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    shot(page, "verify-your-email")

    mails = server.mails_to(email)
    assert mails, "the verification e-mail should be in the outbox"
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", mails[-1]).group(0)
    page.goto(link.replace(server.url, ""))
    shot(page, "confirm-email")
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "confirm-email" not in url)

    page.goto("/")
    assert page.locator("h1").first.inner_text().startswith("Hello")
    shot(page, "dashboard-english")

    # Two-factor authentication: allauth asks for the password again first.
    page.goto("/accounts/2fa/totp/activate/")
    if "reauthenticate" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/2fa/totp/activate/"))
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", "000000")
    page.click("form button[type=submit]")
    assert page.locator(".invalid-feedback").first.is_visible()
    shot(page, "totp-wrong-code")
    page.fill("input[name=code]", totp_now(secret))
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "activate" not in url)
    shot(page, "totp-on-recovery-codes")

    # Log out and in again: the second factor is asked for.
    page.goto("/")
    page.click("button.dropdown-toggle")
    page.click("text=Sign out")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    shot(page, "second-factor")
    page.fill("input[name=code]", totp_now(secret))
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "authenticate" not in url)

    # Tamil.
    with page.expect_navigation():
        page.select_option("#language-switch", "ta")
    assert page.locator("html").get_attribute("lang") == "ta"
    assert "வணக்கம்" in page.locator("h1").first.inner_text()
    shot(page, "dashboard-tamil")


def test_a_notification_arrives_in_the_bell_and_is_read(page, server, shot):
    login(page, "priya@demo.concierge")
    page.goto("/notifications/preferences/")
    page.click("button[name=send_test]")
    page.goto("/")
    bell = page.locator("#bell-button .bell-count")
    bell.wait_for()
    shot(page, "bell-with-unread")
    page.click("#bell-button")
    shot(page, "bell-open")
    page.goto("/notifications/")
    assert page.locator(".notification-unread").count() >= 1
    page.click("text=Mark all as read")
    assert page.locator(".notification-unread").count() == 0
    shot(page, "inbox-read")
