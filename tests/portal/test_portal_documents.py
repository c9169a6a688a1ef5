"""The public page and downloads: what the page shows comes from data and the released pack, public PDFs are the
released bytes, every gated download is authorised per document and version, and a stamp is rendered once per
buyer and version."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from tests.portal.test_portal_access import csrf, link_token, request_access, use

SMALL_GATED = "pentest-plan"  # the quickest confidential document to render


def sign_in(client, outbox, email, name="Jane Doe", company="Acme Ltd", accept=True):
    request_access(client, email, name=name, company=company)
    use(client, link_token(outbox, email))
    if accept:
        nda = client.get("/nda").text
        version = re.search(r'name="version" value="([^"]+)"', nda).group(1)
        response = client.post("/nda", data={"csrf_token": csrf(client), "accept": "yes", "version": version})
        assert response.status_code == 200


def approved(client, outbox, store, email, documents=(SMALL_GATED,), **who):
    sign_in(client, outbox, email, **who)
    buyer = store.buyer_by_email(email)
    store.approve(buyer.id, documents, "sales")
    return store.buyer(buyer.id)


def url(released, doc_id, version=None) -> str:
    return f"/documents/{doc_id}/{version or released.documents[doc_id].version}.pdf"


def test_public_page_is_built_from_data_and_the_released_pack(client, released, portal_dataset):
    page = client.get("/").text
    customer = portal_dataset.customer
    for doc in released.documents.values():
        assert doc.title in page and doc.classification_label in page
        assert (url(released, doc.id) in page) == doc.public
    for region in customer["regions"]:
        assert region["primary"]["code"] in page and region["disaster_recovery"]["code"] in page
    for sub in customer["subprocessors"]:
        assert sub["purpose"] in page and sub["location"] in page
    domains = [d["name"] for d in customer["control_domains"]]
    assert all(name in page for name in domains)
    assert f"{customer['scc']['clause_9a']['notice_days']} days" in page
    newest = customer["documents"]
    assert any(v["changes"] in page for d in newest for v in d["versions"])


def test_public_page_keeps_internal_settings_out(client, portal_dataset):
    page = client.get("/").text
    for domain in portal_dataset.internal["portal"]["auto_approve_domains"]:
        assert domain not in page


def test_pages_load_nothing_from_another_host_and_send_a_strict_csp(client):
    for path in ("/", "/nda", "/no-such-page", "/access/x"):
        response = client.get(path)
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        for tag, _attr, value in re.findall(
            r"<(link|script|img|iframe)\b[^>]*?\b(href|src)=\"([^\"]*)\"", response.text
        ):
            assert not urlsplit(value).netloc, (path, tag, value)
        assert "<script" not in response.text


def test_feed_is_the_customer_sites_atom_feed(client, released):
    feed = client.get("/feed.xml")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert b'<feed xmlns="http://www.w3.org/2005/Atom">' in feed.content
    assert f"Non-Disclosure Agreement {released.documents['nda'].version}".encode() in feed.content


def test_public_documents_download_as_the_released_bytes(client, released):
    for doc in released.documents.values():
        if doc.public:
            response = client.get(url(released, doc.id))
            assert response.status_code == 200 and response.content == released.public_bytes(doc)


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/documents/no-such-doc/1.0.pdf", 404, "no document"),
        ("/documents/dpa/0.9.pdf", 404, "is not in pack"),
        (f"/documents/{SMALL_GATED}/1.0.pdf", 403, "request access or sign in"),
    ],
)
def test_unknown_documents_versions_and_anonymous_buyers_get_a_page(client, path, status, says):
    response = client.get(path)
    assert response.status_code == status and says in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_gated_downloads_need_approval_the_nda_and_a_grant_for_that_document(client, outbox, store, released):
    sign_in(client, outbox, "steps@acme.example", accept=False)
    buyer = store.buyer_by_email("steps@acme.example")
    pending = client.get(url(released, SMALL_GATED))
    assert pending.status_code == 403 and "waiting for approval" in pending.text
    store.approve(buyer.id, [SMALL_GATED], "sales")
    no_nda = client.get(url(released, SMALL_GATED))
    assert no_nda.status_code == 403 and "Non-Disclosure Agreement" in no_nda.text
    store.accept_nda(store.buyer(buyer.id), released.documents["nda"].version, "127.0.0.1", "test")
    not_granted = client.get(url(released, "security-overview"))
    assert not_granted.status_code == 403 and "does not include Security Overview" in not_granted.text
    old_version = client.get(url(released, SMALL_GATED, "0.1"))
    assert old_version.status_code == 404
    refusals = [r for r in store.log(actions=["download_refused"])]
    assert [r["document_id"] for r in refusals][::-1] == [SMALL_GATED, SMALL_GATED, "security-overview"]
    assert store.stamp(buyer.id, SMALL_GATED, released.documents[SMALL_GATED].version) is None


def test_a_stamp_names_the_buyer_on_every_page_and_is_rendered_once(client, outbox, store, released):
    name, company = 'Zoë "</p><b>" Ødegård', "Ω Widgets & Sons <Ltd>"
    buyer = approved(client, outbox, store, "stamp@acme.example", name=name, company=company)
    stamper = client.app.state.portal.stamper
    first = client.get(url(released, SMALL_GATED))
    second = client.get(url(released, SMALL_GATED))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and stamper.renders == 1
    assert 'filename="pentest-plan-' in first.headers["content-disposition"]
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(first.content)).pages]
    assert len(pages) == released.documents[SMALL_GATED].pages
    stamp = f"Prepared for {name}, {company}"
    assert all(stamp in text and f"Pack {released.version}" in text for text in pages), pages[1]
    details = [r["detail"] for r in store.log(actions=["download"])][::-1]
    assert details == ["stamped, rendered", "stamped, cached"]
    assert store.stamp(buyer.id, SMALL_GATED, released.documents[SMALL_GATED].version)["pages"] == len(pages)


def test_customer_domains_are_approved_when_they_accept_the_nda(
    client, outbox, store, released, portal_dataset
):
    domain = portal_dataset.internal["portal"]["auto_approve_domains"][0]
    sign_in(client, outbox, f"it@{domain}", accept=False)
    buyer = store.buyer_by_email(f"it@{domain}")
    assert buyer.status == "pending"
    client.post(
        "/nda",
        data={"csrf_token": csrf(client), "accept": "yes", "version": released.documents["nda"].version},
    )
    buyer = store.buyer(buyer.id)
    assert buyer.status == "approved" and buyer.decided_by == f"auto-approve ({domain})"
    assert store.granted(buyer.id) == {d.id for d in released.gated}


def test_other_domains_wait_for_an_account_owner(client, outbox, store):
    sign_in(client, outbox, "someone@elsewhere.example")
    assert store.buyer_by_email("someone@elsewhere.example").status == "pending"


def test_the_nda_is_accepted_only_with_the_box_ticked_and_records_who_when_version_and_ip(
    client, outbox, store, released, clock
):
    sign_in(client, outbox, "nda@acme.example", accept=False)
    version = released.documents["nda"].version
    unticked = client.post("/nda", data={"csrf_token": csrf(client), "version": version})
    stale = client.post("/nda", data={"csrf_token": csrf(client), "accept": "yes", "version": "0.1"})
    assert unticked.status_code == stale.status_code == 422 and store.acceptances() == []
    client.post(
        "/nda",
        data={"csrf_token": csrf(client), "accept": "yes", "version": version},
        headers={"user-agent": "Browser/1.0"},
    )
    [record] = store.acceptances()
    assert (
        record["email"],
        record["company"],
        record["nda_version"],
        record["accepted_at"],
        record["ip"],
        record["user_agent"],
    ) == ("nda@acme.example", "Acme Ltd", version, clock.now, "testclient", "Browser/1.0")
    assert "Download it as a PDF" in client.get("/nda").text


def test_subscribing_needs_approval_and_is_logged(client, outbox, store, released):
    sign_in(client, outbox, "sub@acme.example")
    refused = client.post("/subscriptions", data={"csrf_token": csrf(client), "document": "subprocessors"})
    assert refused.status_code == 403
    store.approve(store.buyer_by_email("sub@acme.example").id, [SMALL_GATED], "sales")
    client.post(
        "/subscriptions",
        data={"csrf_token": csrf(client), "document": "subprocessors", "action": "subscribe"},
    )
    buyer = store.buyer_by_email("sub@acme.example")
    assert store.subscribed(buyer.id) == {"subprocessors"}
    unknown = client.post("/subscriptions", data={"csrf_token": csrf(client), "document": "nope"})
    assert unknown.status_code == 404
    client.post(
        "/subscriptions",
        data={"csrf_token": csrf(client), "document": "subprocessors", "action": "unsubscribe"},
    )
    assert store.subscribed(buyer.id) == set()
    assert [r["action"] for r in store.log(actions=["subscribe", "unsubscribe"])] == [
        "unsubscribe",
        "subscribe",
    ]
