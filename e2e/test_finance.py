"""Priya's money journey: quick-add expenses, set a budget, cross 80 %, see the warning in
the bell and in her e-mail, open the monthly report and export CSV."""

import re

from helpers import login
from playwright.sync_api import expect

EMAIL = "priya@demo.concierge"


def quick_add(page, line: str) -> None:
    page.goto("/finance/")
    page.fill("#id_line", line)
    page.click("#quick-add button[type=submit]")
    expect(page.locator("#confirm-save")).to_be_visible()


def test_finance_journey(page, server, shot):
    login(page, EMAIL)
    page.goto("/finance/")
    expect(page.locator("h1")).to_contain_text("Your money")
    expect(page.locator("#fin-donut .main-svg").first).to_be_visible()
    shot(page, "dashboard")

    quick_add(page, "120 coffee")
    expect(page.locator(".alert-info")).to_contain_text("Tea & coffee")
    shot(page, "quick-add-confirm")
    page.click("#confirm-save")
    expect(page.locator(".alert-success")).to_contain_text("Recorded")

    page.goto("/finance/budgets/")
    page.select_option("#budget-form select[name=category]", label="Personal care")
    page.fill("#budget-form input[name=amount]", "1000")
    page.click("#budget-form button")
    expect(page.locator(".alert-success")).to_contain_text("Budget saved")
    shot(page, "budget-set")

    quick_add(page, "850 haircut")
    expect(page.locator(".alert-info")).to_contain_text("Personal care")
    page.click("#confirm-save")
    expect(page.locator(".alert-success")).to_contain_text("Recorded")

    page.goto("/finance/budgets/")
    expect(page.locator("main")).to_contain_text("Personal care")
    page.reload()
    page.click("#bell-button")
    expect(page.locator("#bell .dropdown-menu")).to_contain_text(
        "Personal care: 85% of your monthly budget used"
    )
    shot(page, "bell-warning")

    mails = server.mails_to(EMAIL)
    assert any(re.search(r"Subject: .*Personal care: 85%", m) for m in mails), mails[-1:]

    page.goto("/finance/report/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("main")).to_contain_text("By category")
    shot(page, "monthly-report")
    with page.expect_download() as download_info:
        page.click("#report-csv")
    path = download_info.value.path()
    text = path.read_text(encoding="utf-8-sig")
    assert "Personal care" in text and "Previous period" in text

    page.goto("/finance/transactions/")
    expect(page.locator("#totals")).to_contain_text("transactions")
    shot(page, "transactions")
    with page.expect_download() as download_info:
        page.click("text=Export CSV")
    assert "haircut" in download_info.value.path().read_text(encoding="utf-8-sig")


def test_quick_add_on_a_phone(new_page, server, shot):
    page = new_page(viewport={"width": 390, "height": 844})
    login(page, EMAIL)
    quick_add(page, "60 auto yesterday")
    shot(page, "phone-confirm")
    page.click("#confirm-save")
    expect(page.locator(".alert-success")).to_contain_text("Recorded")
    shot(page, "phone-dashboard")


def test_import_dry_run_then_commit(page, server, shot, tmp_path):
    login(page, EMAIL)
    sample = tmp_path / "hdfc.csv"
    sample.write_text(
        "Date,Narration,Withdrawal Amt.,Deposit Amt.\n"
        "01/10/2026,UPI-SWIGGY BANGALORE,345.00,\n"
        "02/10/2026,NEFT-REFUND AMAZON,,1299.00\n"
    )
    page.goto("/finance/import/")
    page.select_option("select[name=account]", label="HDFC Savings")
    page.set_input_files("input[name=file]", str(sample))
    page.click("main form button")
    expect(page.locator("#import-summary")).to_contain_text("2 new")
    shot(page, "import-preview")
    page.click("#import-commit")
    expect(page.locator(".alert-success")).to_contain_text("Imported 2")
    shot(page, "import-done")
