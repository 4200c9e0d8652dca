"""Hospital beds, end to end in a real browser: the public dashboard (anonymous) follows every
step — book, confirm, admit, discharge, housekeeping, free again — then the family reviews the
stay and the review appears after moderation."""

import re
import urllib.request

from helpers import login
from playwright.sync_api import expect

FREE = 'tr[data-hospital="city-general"] td[data-count="free"]'
OCCUPIED = 'tr[data-hospital="city-general"] td[data-count="occupied"]'
RESERVED = 'tr[data-hospital="city-general"] td[data-count="reserved"]'


def counts(page) -> tuple[int, int, int]:
    return tuple(int(page.locator(sel).inner_text()) for sel in (FREE, OCCUPIED, RESERVED))


def expect_counts(page, free: int, occupied: int, reserved: int) -> None:
    # No reload: the public page must update by itself (WebSocket push, polling as fallback).
    expect(page.locator(FREE)).to_have_text(str(free), timeout=20_000)
    expect(page.locator(OCCUPIED)).to_have_text(str(occupied), timeout=20_000)
    expect(page.locator(RESERVED)).to_have_text(str(reserved), timeout=20_000)


def _patient(page):
    # The shared 2-core box can be slow right after seeding (the worker sends the demo mail).
    page.set_default_timeout(45_000)
    return page


def test_bed_journey_public_counts_follow_every_step(server, page, new_page, shot):
    urllib.request.urlopen(server.url + "/hospital/", timeout=120).read()  # warm the server
    # 1. Anyone sees the public dashboard, no sign-in.
    public = _patient(page)
    public.goto("/hospital/")
    expect(public.locator("h1")).to_contain_text("Hospital beds")
    free, occupied, reserved = counts(public)
    assert free > 0
    shot(public, "public-dashboard")

    # 2. Arjun (family) signs in and books a general bed at City General.
    family = _patient(new_page())
    login(family, "arjun@demo.concierge")
    family.goto("/hospital/h/city-general/")
    shot(family, "hospital-page")
    family.goto("/hospital/h/city-general/book/?ward_kind=general")
    family.fill("input[name=patient_name]", "Kamala Kumar")
    family.fill("input[name=patient_age]", "72")
    family.select_option("select[name=patient_sex]", "F")
    family.select_option("select[name=urgency]", "2")
    family.fill("textarea[name=reason]", "Breathless since morning, needs observation")
    shot(family, "booking-form")
    family.click("form button.btn-success")
    family.wait_for_url(re.compile(r"/hospital/bookings/\d+/$"))
    booking_url = family.url
    expect(family.locator("#booking-bed")).to_be_visible()
    shot(family, "bed-held")
    expect_counts(public, free - 1, occupied, reserved + 1)
    shot(public, "public-after-hold")

    # 3. The nurse confirms and admits.
    nurse = _patient(new_page())
    nurse.on("dialog", lambda dialog: dialog.accept())
    login(nurse, "nurse@demo.concierge")
    nurse.goto("/hospital/manage/city-general/")
    expect(nurse.locator("#holds")).to_contain_text("Kamala Kumar")
    shot(nurse, "ward-operations")
    nurse.goto(booking_url)
    nurse.click("form[action$='/confirm/'] button")
    expect(nurse.locator("#booking-status .badge")).to_have_class(re.compile("text-bg-success"))
    nurse.click("form[action$='/admit/'] button")
    nurse.wait_for_url(re.compile(r"/hospital/wards/\d+/$"))
    bed = nurse.locator(".bed-card", has=nurse.locator("a[title='Kamala Kumar']"))
    expect(bed).to_have_attribute("data-status", "occupied")
    expect(bed.locator(".initials")).to_have_text("KK")
    shot(nurse, "ward-board-admitted")
    expect_counts(public, free - 1, occupied + 1, reserved)

    # 4. Discharge: the bed goes to housekeeping, the public count does not free it yet.
    label = bed.get_attribute("data-bed")
    card = nurse.locator(f".bed-card[data-bed='{label}']")
    card.locator("form[action$='/discharge/'] button").click()
    expect(card).to_have_attribute("data-status", "housekeeping")
    shot(nurse, "ward-board-housekeeping")
    expect_counts(public, free - 1, occupied, reserved)

    # 5. Housekeeping marks it clean: free again on the public page.
    card.locator("form[action$='/clean/'] button").click()
    expect(card).to_have_attribute("data-status", "free")
    expect_counts(public, free, occupied, reserved)
    shot(public, "public-free-again")

    # 6. The family is asked for a review (in-app and e-mail) and leaves one.
    assert server.mails_to("arjun@demo.concierge")
    family.goto(booking_url)
    family.click("a[href*='/hospital/stays/']")
    expect(family.locator("#stay-discharged")).to_be_visible()
    family.check("input[name=score][value='5']")
    family.fill("textarea[name=comment]", "Nurses checked on my mother every hour.")
    family.click("#review form button")
    expect(family.locator("#review .alert-success")).to_be_visible()
    shot(family, "review-sent")

    # 7. Staff publish it; it shows on the public hospital page.
    nurse.goto("/hospital/manage/city-general/")
    pending = nurse.locator(".list-group-item", has_text="Nurses checked on my mother")
    pending.locator("form[action$='/publish/'] button").click()
    public.goto("/hospital/h/city-general/")
    expect(public.locator("body")).to_contain_text("Nurses checked on my mother every hour.")
    shot(public, "review-public")
