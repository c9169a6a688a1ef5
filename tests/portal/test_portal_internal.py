"""The internal view: staff login, approve, deny and revoke (each effective at once and logged), the access log per
company and per document, and its CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.portal.helpers import STAFF
from tests.portal.test_portal_access import csrf
from tests.portal.test_portal_documents import SMALL_GATED, approved, sign_in, url


@pytest.mark.parametrize("auth", [None, ("sales", "wrong password"), ("nobody", STAFF[1])])
def test_internal_view_needs_a_staff_login(client, auth):
    for path in ("/internal", "/internal/log", "/internal/log.csv"):
        response = client.get(path, auth=auth)
        assert response.status_code == 401 and "Basic" in response.headers["www-authenticate"]
        assert "Access requests" not in response.text


def test_staff_approve_a_pending_request_for_chosen_documents_and_the_buyer_is_told(client, outbox, store):
    sign_in(client, outbox, "wait@acme.example")
    buyer = store.buyer_by_email("wait@acme.example")
    page = client.get("/internal", auth=STAFF).text
    assert "wait@acme.example" in page and "Pending (1)" in page
    token = csrf(client)
    empty = client.post(f"/internal/buyers/{buyer.id}/approve", data={"csrf_token": token}, auth=STAFF)
    foreign = client.post(
        f"/internal/buyers/{buyer.id}/approve", data={"csrf_token": token, "documents": ["dpa"]}, auth=STAFF
    )
    assert empty.status_code == foreign.status_code == 422 and store.buyer(buyer.id).status == "pending"
    done = client.post(
        f"/internal/buyers/{buyer.id}/approve",
        data={"csrf_token": token, "documents": [SMALL_GATED, "architecture"]},
        auth=STAFF,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert store.buyer(buyer.id).status == "approved" and store.granted(buyer.id) == {
        SMALL_GATED,
        "architecture",
    }
    mail = outbox.wait_for("wait@acme.example", count=2)[1]
    assert "approved" in mail["Subject"] and "/account" in mail.get_content()
    approve = store.log(actions=["approve"])[0]
    assert approve["actor"] == "sales" and approve["detail"] == f"architecture, {SMALL_GATED}"


def test_staff_forms_without_a_csrf_token_change_nothing(client, outbox, store):
    sign_in(client, outbox, "forge@acme.example")
    buyer = store.buyer_by_email("forge@acme.example")
    client.get("/")
    for action in ("approve", "deny", "revoke"):
        response = client.post(
            f"/internal/buyers/{buyer.id}/{action}", data={"documents": [SMALL_GATED]}, auth=STAFF
        )
        assert response.status_code == 403
    assert (
        store.buyer(buyer.id).status == "pending" and store.log(actions=["approve", "deny", "revoke"]) == []
    )


def test_denied_buyers_cannot_sign_in_and_actions_that_do_not_apply_change_nothing(client, outbox, store):
    sign_in(client, outbox, "deny@acme.example")
    buyer = store.buyer_by_email("deny@acme.example")
    client.post(f"/internal/buyers/{buyer.id}/deny", data={"csrf_token": csrf(client)}, auth=STAFF)
    assert store.buyer(buyer.id).status == "denied"
    assert client.get("/account").status_code == 403
    again = client.post(f"/internal/buyers/{buyer.id}/deny", data={"csrf_token": csrf(client)}, auth=STAFF)
    missing = client.post("/internal/buyers/999/revoke", data={"csrf_token": csrf(client)}, auth=STAFF)
    assert again.status_code == 403 and "Nothing changed" in again.text and missing.status_code == 404
    assert len(store.log(actions=["deny"])) == 1


def test_revoking_stops_downloads_and_the_session_at_once(client, outbox, store, released):
    buyer = approved(client, outbox, store, "revoke@acme.example")
    assert client.get("/account").status_code == 200
    client.post(f"/internal/buyers/{buyer.id}/revoke", data={"csrf_token": csrf(client)}, auth=STAFF)
    refused = client.get(url(released, SMALL_GATED))
    assert refused.status_code == 403 and "revoked" in refused.text
    assert client.get("/account").status_code == 403
    assert store.granted(buyer.id) == set()
    assert [r["action"] for r in store.log(company="Acme Ltd")][:2] == ["download_refused", "revoke"]


def test_access_log_per_company_and_per_document_and_its_csv(client, outbox, store, released):
    approved(client, outbox, store, "log@acme.example", company='=HYPERLINK("http://x")')
    client.get(url(released, SMALL_GATED))
    client.get(url(released, "dpa"))
    page = client.get("/internal/log", auth=STAFF).text
    assert "Downloads per company" in page and "Downloads per document" in page
    assert store.downloads_by("document_id") == [
        ("dpa", 1, 1, store.clock()),
        (SMALL_GATED, 1, 1, store.clock()),
    ]
    only = client.get("/internal/log", params={"document": SMALL_GATED}, auth=STAFF).text
    assert "stamped, rendered" in only and "public" not in only.split("Every step")[1]
    exported = client.get("/internal/log.csv", params={"company": '=HYPERLINK("http://x")'}, auth=STAFF)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows][::-1] == [
        "request",
        "link_sent",
        "sign_in",
        "nda_accepted",
        "approve",
        "download",
        "download",
    ]
    assert all(r["company"] == '\'=HYPERLINK("http://x")' for r in rows)
    assert store.log(actions=["log_exported"])[0]["actor"] == "sales"
