"""The whole buyer journey in a real browser (Debian's chromium through Playwright), against the portal served by
uvicorn on a random loopback port and mailing through a local SMTP server: request access, follow the e-mailed
link, accept the NDA, get approved, download a PDF stamped with your name, lose access on revocation, and the
internal log shows every step. Set PORTAL_SCREENSHOTS=<folder> to keep a screenshot of each page."""

from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from pypdf import PdfReader

from tests.metering.helpers import ThreadedServer
from tests.portal.helpers import LINK, STAFF, make_config

pytestmark = pytest.mark.browser

NAME, COMPANY, EMAIL = "Jane Doe", "Acme Widgets Ltd", "jane.doe@acme-widgets.example"


@pytest.fixture
def server(portal_project, portal_dataset, released, store, outbox, tmp_path):
    from portal.app import create_portal

    holder = {}

    class Late:  # the base URL (for e-mailed links) is known only once the server has its port
        async def __call__(self, scope, receive, send):
            await holder["app"](scope, receive, send)

    with ThreadedServer(Late()) as running:
        config = make_config(portal_project, portal_dataset, released, store, outbox, tmp_path, running.url)
        holder["app"] = create_portal(config)
        yield running


def _context(browser, **options):
    """A browser context that lets only requests to 127.0.0.1 through; returns it and the list of others."""
    context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True, **options)
    foreign: list[str] = []

    def gate(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", gate)
    return context, foreign


def _shot(page, name: str) -> None:
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_buyer_gets_a_stamped_pdf_after_link_nda_and_approval_and_nothing_once_revoked(
    browser, server, outbox, store, released
):
    buyer_context, buyer_foreign = _context(browser)
    staff_context, staff_foreign = _context(
        browser, http_credentials={"username": STAFF[0], "password": STAFF[1]}
    )
    page, staff = buyer_context.new_page(), staff_context.new_page()

    # 1. request access on the public page
    page.goto(server.url + "/")
    _shot(page, "1-public")
    page.get_by_label("Your name").fill(NAME)
    page.get_by_label("Work e-mail", exact=True).first.fill(EMAIL)
    page.get_by_label("Company").fill(COMPANY)
    page.get_by_role("button", name="Request access").click()
    assert page.get_by_role("heading", name="Check your inbox").is_visible(), page.locator(
        "main"
    ).inner_text()

    # 2. the e-mail arrives at the local SMTP server; follow its link
    mail = outbox.wait_for(EMAIL)
    assert mail, "no e-mail reached the SMTP server"
    link = LINK.search(mail[0].get_content())
    assert link and link.group(0).startswith(server.url)
    page.goto(link.group(0))
    page.get_by_role("button", name=f"Continue as {EMAIL}").click()

    # 3. accept the NDA (clickwrap)
    page.wait_for_url("**/nda")
    _shot(page, "2-nda")
    assert page.get_by_role("heading", name="Parties and acceptance").is_visible()
    page.get_by_role("button", name="Accept the agreement").click()
    assert page.locator(".error").is_visible()  # the box was not ticked: nothing recorded
    assert store.acceptances() == []
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Accept the agreement").click()
    page.wait_for_url("**/account")
    assert "pending" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Stamped PDF").count() == 0

    # 4. an account owner approves the request in the internal view
    staff.goto(server.url + "/internal")
    _shot(staff, "3-internal-pending")
    staff.get_by_role("button", name=f"Approve {NAME}").click()
    staff.wait_for_url("**/internal?done=approved")
    assert staff.get_by_role("button", name=f"Revoke {NAME}").is_visible()

    # 5. the buyer downloads the security overview, stamped with their name on every page
    page.reload()
    _shot(page, "4-account")
    row = page.get_by_role("row").filter(has_text="Security Overview")
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Stamped PDF").click()
    pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    stamp = f"Prepared for {NAME}, {COMPANY}"
    pages = [" ".join(p.extract_text().split()) for p in pdf.pages]
    assert len(pages) == released.documents["security-overview"].pages
    assert all(stamp in text and f"Pack {released.version}" in text for text in pages)

    # 6. revoked: the same download is refused with a page that says so
    staff.get_by_role("button", name=f"Revoke {NAME}").click()
    staff.wait_for_url("**/internal?done=revoke")
    href = row.get_by_role("link", name="Stamped PDF").get_attribute("href")
    response = page.goto(server.url + href)
    assert response.status == 403
    assert "revoked" in page.locator("main").inner_text()
    _shot(page, "5-revoked")

    # 7. the internal log shows each step for the buyer's company
    staff.goto(server.url + "/internal/log?company=" + COMPANY.replace(" ", "+"))
    _shot(staff, "6-internal-log")
    actions = staff.locator("#events ~ table tbody tr td:nth-child(2)").all_inner_texts()
    assert actions[::-1] == [
        "request",
        "link_sent",
        "sign_in",
        "nda_accepted",
        "approve",
        "download",
        "revoke",
        "download_refused",
    ]
    assert buyer_foreign == [] and staff_foreign == []
    buyer_context.close()
    staff_context.close()
