"""Inventory journeys in a real browser: receive a delivery by scanning, sell until the item
runs low, get warned, reorder in two clicks and receive the order; borrow stock from another
store and follow it through approve → ship → receive."""

from __future__ import annotations

import re
from decimal import Decimal

from helpers import login

from concierge.inventory.seed import ITEMS, gtin13

BISCUITS = next(n for n, row in enumerate(ITEMS, start=1) if row[0] == "Marie Biscuits")


def choose_store(page, name: str) -> None:
    page.goto("/inventory/")
    page.select_option("#store-switch", label=name)
    page.wait_for_load_state("networkidle")
    assert name in page.inner_text("h1")


def number(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text) or "0")


def test_receive_by_scanning_sell_low_stock_alert_and_purchase_order(page, new_page, server, shot):
    page.set_default_timeout(60_000)  # a shared, busy machine: slow is not broken
    login(page, "shop@demo.concierge")
    choose_store(page, "T. Nagar")
    shot(page, "stock-on-hand")

    # Receive a delivery: the scanner types the barcode into the scan field and presses Enter.
    page.goto("/inventory/receive/")
    page.fill("[data-scan-field]", "8901000000000")  # a code nobody has
    page.press("[data-scan-field]", "Enter")
    page.wait_for_load_state("networkidle")
    assert "Unknown barcode 8901000000000" in page.inner_text("main")
    shot(page, "unknown-barcode")
    page.fill("[data-scan-field]", gtin13(BISCUITS))
    page.press("[data-scan-field]", "Enter")
    page.wait_for_selector("#scanned-item")
    assert page.inner_text("#scanned-item") == "Marie Biscuits"
    page.fill("#line-form input[name=quantity]", "24")
    page.select_option("#line-form select[name=location]", label="F-01 — Shelf 1")
    shot(page, "scanned-line")
    page.click("#line-form button")
    page.wait_for_selector("#receipt-lines td:has-text('Marie Biscuits')")
    page.select_option("select[name=supplier]", label="Southern FMCG Agencies")
    page.fill("input[name=delivery_note]", "SF-E2E-1")
    page.click("#post-receipt")
    page.wait_for_selector(".alert-success")
    assert "Received 1 lines into T. Nagar" in page.inner_text(".messages")
    shot(page, "received")

    # How much is there now, and where does it need reordering?
    page.goto("/inventory/?q=Marie+Biscuits")
    row = page.locator("#stock-table tbody tr").first
    on_hand = number(row.locator("td").nth(2).inner_text())
    point = number(row.locator("td").nth(5).inner_text())
    assert on_hand > point > 0
    shot(page, "stock-before-sale")

    # Sell down to the reorder point: far more than a usual sale, so the page asks to confirm.
    to_sell = on_hand - point
    page.goto("/inventory/sell/")
    page.fill("[data-scan-field]", gtin13(BISCUITS))
    page.press("[data-scan-field]", "Enter")
    page.wait_for_selector("#fefo")
    page.fill("#line-form input[name=quantity]", str(to_sell))
    page.click("#line-form button")
    page.wait_for_selector("#sale-lines td:has-text('Marie Biscuits')")
    page.click("#post-sale")
    # Whether this is "far above the usual" (5 × the largest of the last 20 sales) depends on
    # the seeded history around today's date; when it is, the page asks to confirm first.
    page.wait_for_selector(
        ".alert-success, .is-invalid, .alert-danger, .invalid-feedback, .text-danger"
    )
    if "far above the usual" in page.inner_text("main"):
        shot(page, "sale-needs-confirmation")
        page.check("input[name=confirm]")
        page.click("#post-sale")
        page.wait_for_selector(".alert-success")
    assert "Sale posted" in page.inner_text(".messages")
    shot(page, "sold")

    # The low-stock warning reaches the manager.
    manager = new_page()
    manager.set_default_timeout(60_000)
    login(manager, "kavya@demo.concierge")
    manager.goto("/notifications/")
    assert "Low stock: Marie Biscuits at T. Nagar" in manager.inner_text("main")
    shot(manager, "manager-low-stock-notification")
    mails = server.mails_to("kavya@demo.concierge")
    assert any("Low stock: Marie Biscuits" in m for m in mails)

    # Reorder in two clicks: create the PO from the suggestion, then send it.
    choose_store(manager, "T. Nagar")
    manager.goto("/inventory/reorder/")
    section = manager.locator("section", has_text="Southern FMCG Agencies")
    assert "Marie Biscuits" in section.inner_text()
    shot(manager, "reorder-suggestions")
    section.get_by_role("button", name="Create purchase order").click()
    manager.wait_for_selector("#send-po")
    manager.click("#send-po")
    manager.wait_for_selector(".alert-success")
    assert manager.inner_text("#po-status") == "Sent"
    shot(manager, "purchase-order-sent")
    assert any("Purchase order" in m for m in server.mails_to("po@southern-fmcg.example"))

    # The delivery comes: receive part of it first, then the rest.
    row = manager.locator("#po-lines tr", has_text="Marie Biscuits")
    ordered = number(row.locator("td").nth(1).inner_text())
    biscuits_field = manager.get_by_label("Marie Biscuits", exact=True)
    biscuits_field.fill(str(ordered / 2))
    for field in manager.locator("form[action$='/receive/'] input[name^=qty_]").all():
        if field.get_attribute("id") != biscuits_field.get_attribute("id"):
            field.fill("")
    manager.fill("input[name=delivery_note]", "SF-E2E-2")
    manager.click("#receive-po")
    manager.wait_for_selector(".alert-success")
    assert manager.inner_text("#po-status") == "Partly received"
    shot(manager, "purchase-order-partly-received")
    biscuits_field = manager.get_by_label("Marie Biscuits", exact=True)
    biscuits_field.fill(str(ordered - ordered / 2))
    manager.fill("input[name=delivery_note]", "SF-E2E-3")
    manager.click("#receive-po")
    manager.wait_for_selector(".alert-success")
    shot(manager, "purchase-order-received")


def test_transfer_between_two_stores(page, shot):
    page.set_default_timeout(60_000)
    login(page, "kavya@demo.concierge")
    choose_store(page, "T. Nagar")
    page.goto("/inventory/transfers/")
    assert "TR-00001" in page.inner_text("#transfer-list")  # the seeded one, in transit
    shot(page, "transfers")
    page.click("text=Borrow stock")
    page.select_option("select[name=from_store]", label="Mylapore — Corner Shops Co-op")
    page.select_option("select[name=item]", label="Shampoo Sachets (CS-0050)")
    page.fill("input[name=quantity]", "3")
    shot(page, "transfer-request")
    page.click("form button:has-text('Request transfer')")
    page.wait_for_selector("#transfer-status")
    assert page.inner_text("#transfer-status") == "Requested"
    for action, status in [
        ("approve", "Approved"),
        ("ship", "In transit"),
        ("receive", "Received"),
    ]:
        page.click(f"main form button[name=action][value={action}]")
        page.wait_for_selector(".alert-success")
        assert page.inner_text("#transfer-status") == status
        shot(page, f"transfer-{status.lower().replace(' ', '-')}")
    page.goto("/inventory/items/?q=Shampoo+Sachets")
    page.click("text=Shampoo Sachets")
    rows = {
        r.locator("td").nth(0).inner_text(): r.locator("td").nth(1).inner_text()
        for r in page.locator("#stock-by-store tbody tr").all()
    }
    assert set(rows) >= {"T. Nagar", "Mylapore"}
    assert "Transfer in" in page.inner_text("#item-movements")
    shot(page, "item-after-transfer")
    page.goto("/inventory/reports/")
    page.wait_for_selector("#value-by-store .main-svg")
    shot(page, "reports")


def test_transfer_a_serialised_item_picking_the_units_that_leave(page, shot):
    page.set_default_timeout(60_000)
    login(page, "kavya@demo.concierge")
    choose_store(page, "Mylapore")
    page.goto("/inventory/transfers/")
    page.click("text=Borrow stock")
    page.select_option("select[name=from_store]", label="T. Nagar — Corner Shops Co-op")
    page.select_option("select[name=item]", label="Mixer Grinder 750 W (CS-MG-750)")
    page.fill("input[name=quantity]", "2")
    page.click("form button:has-text('Request transfer')")
    page.wait_for_selector("#transfer-status")
    page.click("main form button[name=action][value=approve]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("#transfer-status") == "Approved"

    # Shipping asks which units leave; one ticked box for two units is refused on the page.
    boxes = page.locator("main form input[type=checkbox][value^='MG75-']")
    boxes.nth(0).check()
    page.click("main form button[name=action][value=ship]")
    page.wait_for_selector("main form .invalid-feedback, main form .errorlist")
    assert page.inner_text("#transfer-status") == "Approved"
    shot(page, "serial-transfer-wrong-count")
    boxes = page.locator("main form input[type=checkbox][value^='MG75-']")
    picked = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    for box in (boxes.nth(0), boxes.nth(1)):
        box.check()
    page.click("main form button[name=action][value=ship]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("#transfer-status") == "In transit"
    assert all(serial in page.inner_text("[data-serials]") for serial in picked)
    shot(page, "serial-transfer-in-transit")
    page.click("main form button[name=action][value=receive]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("#transfer-status") == "Received"
    shot(page, "serial-transfer-received")


def test_sell_a_serialised_item_by_its_serial_and_fulfil_an_online_order(page, shot):
    page.set_default_timeout(60_000)
    login(page, "shop@demo.concierge")
    choose_store(page, "T. Nagar")

    # The appliance's own label carries its serial number: scanning it picks that unit.
    page.goto("/inventory/sell/")
    page.fill("[data-scan-field]", "MG75-1003")
    page.press("[data-scan-field]", "Enter")
    page.wait_for_selector("#scanned-item")
    assert page.inner_text("#scanned-item") == "Mixer Grinder 750 W"
    assert page.input_value("#line-form textarea[name=scanned_serials]") == "MG75-1003"
    shot(page, "serialised-item-scanned")
    # A serial that is not on the shelf is refused before anything is written.
    page.fill("#line-form textarea[name=scanned_serials]", "MG75-1003\nMG75-9999")
    page.click("#line-form button")
    page.wait_for_selector("#line-form .invalid-feedback, #line-form .text-danger, .errorlist")
    assert "Not in stock here: MG75-9999." in page.inner_text("#line-form")
    shot(page, "serial-not-in-stock")
    page.fill("#line-form textarea[name=scanned_serials]", "MG75-1003")
    page.click("#line-form button")
    page.wait_for_selector("[data-serials]")
    assert "MG75-1003" in page.inner_text("#sale-lines")
    page.click("#post-sale")
    page.wait_for_selector(".alert-success")
    shot(page, "serialised-sale-posted")
    page.fill("[data-scan-field]", "MG75-1003")  # sold now: no longer a unit on the shelf
    page.press("[data-scan-field]", "Enter")
    page.wait_for_load_state("networkidle")
    assert "Unknown barcode MG75-1003" in page.inner_text("main")

    # The online shop's order waits with its stock reserved; fulfilling it issues the stock.
    page.goto("/inventory/online-orders/")
    row = page.locator("#online-orders tr[data-order='WEB-1042']")
    assert "Reserved" in row.inner_text()
    shot(page, "online-orders")
    row.get_by_role("button", name="Fulfil").click()
    page.wait_for_selector(".alert-success")
    assert "Order WEB-1042 fulfilled." in page.inner_text(".messages")
    assert "Fulfilled" in page.locator("#online-orders tr[data-order='WEB-1042']").inner_text()
    shot(page, "online-order-fulfilled")

    # The customer brings the grinder back: the return names the unit, which must be one sold.
    page.goto("/inventory/adjust/")
    page.fill("[data-scan-field]", "CS-MG-750")
    page.press("[data-scan-field]", "Enter")
    page.wait_for_selector("main form textarea[name=serials]")
    page.select_option("select[name=kind]", "return")
    page.fill("input[name=quantity]", "1")
    page.fill("input[name=reason]", "customer changed their mind")
    page.fill("main form textarea[name=serials]", "MG75-1004")  # still on the shelf
    page.click("main form button:has-text('Record')")
    page.wait_for_selector("main form .invalid-feedback, main form .errorlist")
    assert "only a sold unit can come back" in page.inner_text("main form:has(textarea)")
    shot(page, "return-of-a-unit-not-sold")
    page.fill("main form textarea[name=serials]", "MG75-1003")
    page.click("main form button:has-text('Record')")
    page.wait_for_selector(".alert-success")
    page.goto("/inventory/items/?q=Mixer")
    page.click("main a:has-text('Mixer Grinder 750 W')")
    assert "In stock" in page.locator("tr:has-text('MG75-1003')").first.inner_text()
    shot(page, "returned-unit-in-stock")


def test_write_off_a_serialised_unit_by_its_serial(page, shot):
    page.set_default_timeout(60_000)
    login(page, "shop@demo.concierge")
    choose_store(page, "T. Nagar")
    page.goto("/inventory/adjust/")
    page.fill("[data-scan-field]", "CS-MG-750")
    page.press("[data-scan-field]", "Enter")
    page.wait_for_selector("main form textarea[name=serials]")
    page.select_option("select[name=kind]", "write_off")
    page.fill("input[name=quantity]", "1")
    page.fill("input[name=reason]", "damaged")
    # Which unit broke? Without its serial number nothing is written.
    page.click("main form button:has-text('Record')")
    page.wait_for_selector("main form .invalid-feedback, main form .errorlist")
    shot(page, "write-off-needs-serial")
    page.fill("main form textarea[name=serials]", "MG75-1004")
    page.click("main form button:has-text('Record')")
    page.wait_for_selector(".alert-success")
    shot(page, "write-off-by-serial")
    page.goto("/inventory/items/?q=Mixer")
    page.click("main a:has-text('Mixer Grinder 750 W')")
    serial_rows = page.locator("tr:has-text('MG75-1004')")
    assert "Written off" in serial_rows.first.inner_text()
    shot(page, "serial-history")


def test_manager_pages_for_network_webhooks_and_valuation(page, shot):
    page.set_default_timeout(60_000)
    login(page, "kavya@demo.concierge")
    choose_store(page, "T. Nagar")
    page.goto("/inventory/network/")
    page.get_by_role("button", name="Create invitation code").first.click()
    page.wait_for_selector(".alert-success")
    assert "Invitation code for Chennai Neighbourhood Stores" in page.inner_text(".messages")
    shot(page, "network")
    page.goto("/inventory/webhooks/")
    page.fill("#webhook-form input[name=url]", "https://shop.example/stock-hook")
    page.fill("#webhook-form textarea[name=skus]", "NOT-A-SKU")
    page.click("#webhook-form button")
    page.wait_for_selector("#webhook-form .invalid-feedback, #webhook-form .errorlist")
    assert "Unknown SKUs: NOT-A-SKU." in page.inner_text("#webhook-form")
    page.fill("#webhook-form textarea[name=skus]", "CS-MG-750")
    page.click("#webhook-form button")
    page.wait_for_selector(".alert-success")
    assert "https://shop.example/stock-hook" in page.inner_text("#webhooks")
    shot(page, "webhooks")
    page.goto("/inventory/settings/")
    page.select_option("select[name=valuation]", "fifo")
    page.click("#settings-form button")
    page.wait_for_selector(".alert-success")
    shot(page, "valuation-settings")
    page.goto("/inventory/reports/")
    assert "First in, first out" in page.inner_text("main")
