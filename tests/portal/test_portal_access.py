"""Access requests and magic links over HTTP (Starlette's TestClient, HTTPS base URL so secure cookies flow):
single use, expiry, bound to one address, stored hashed, rate-limited, and no way to learn which addresses exist."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.db import magic_links
from portal.store import token_hash
from tests.portal.helpers import LINK

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client) -> str:
    return TOKEN.search(client.get("/").text).group(1)


def request_access(client, email, name="Jane Doe", company="Acme Ltd", **extra):
    data = {"csrf_token": csrf(client), "name": name, "email": email, "company": company, **extra}
    return client.post("/request", data=data)


def sign_in_request(client, email):
    return client.post("/sign-in", data={"csrf_token": csrf(client), "email": email})


def link_token(outbox, email, count=1) -> str:
    mails = outbox.wait_for(email, count=count)
    assert len(mails) >= count, f"no e-mail number {count} for {email}"
    return LINK.search(mails[count - 1].get_content()).group(1)


def use(client, token):
    return client.post(f"/access/{token}", data={"csrf_token": csrf(client)}, follow_redirects=False)


def without_tokens(html: str) -> str:
    return TOKEN.sub("", html)


def test_a_request_mails_a_link_that_signs_in_once_and_leads_to_the_nda(client, outbox, store):
    assert request_access(client, "once@acme.example").status_code == 200
    token = link_token(outbox, "once@acme.example")
    assert client.get(f"/access/{token}").status_code == 200
    first = use(client, token)
    assert first.status_code == 303 and first.headers["location"] == "/nda"
    assert client.get("/nda").status_code == 200
    again = use(client, token)
    assert again.status_code == 410 and "already been used" in again.text
    assert [r["action"] for r in store.log()][::-1] == ["request", "link_sent", "sign_in"]


def test_a_link_expires(client, outbox, clock, portal_dataset):
    request_access(client, "late@acme.example")
    token = link_token(outbox, "late@acme.example")
    clock.now += portal_dataset.internal["portal"]["magic_link_minutes"] * 60 + 1
    response = use(client, token)
    assert response.status_code == 410 and "expired" in response.text
    assert "portal_session" not in response.headers.get("set-cookie", "")
    assert client.get("/account").status_code == 403


def test_a_link_signs_in_only_the_address_it_was_sent_to(client, outbox, store):
    request_access(client, "alice@acme.example", name="Alice")
    request_access(client, "bob@acme.example", name="Bob")
    use(client, link_token(outbox, "alice@acme.example"))
    page = client.get("/account")
    assert "alice@acme.example" in page.text and "bob@acme.example" not in page.text


def test_tokens_are_stored_only_as_their_sha256(client, outbox, store):
    request_access(client, "hash@acme.example")
    token = link_token(outbox, "hash@acme.example")
    with store.engine.connect() as conn:
        stored = conn.execute(select(magic_links.c.token_sha256)).scalars().all()
    assert stored == [token_hash(token)] and token not in stored


def test_unknown_and_forged_links_get_a_page_and_sign_in_nobody(client):
    response = client.get("/access/not-a-real-token")
    assert response.status_code == 404 and "not valid" in response.text
    assert use(client, "not-a-real-token").status_code == 404
    assert client.get("/account").status_code == 403


def test_the_answer_is_the_same_whether_or_not_an_address_is_known(client, outbox, store):
    request_access(client, "known@acme.example")
    link_token(outbox, "known@acme.example")
    known = sign_in_request(client, "known@acme.example")
    unknown = sign_in_request(client, "nobody@acme.example")
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.text).replace("known@", "X@") == without_tokens(unknown.text).replace(
        "nobody@", "X@"
    )
    assert len(outbox.wait_for("known@acme.example", count=2)) == 2
    assert outbox.wait_for("nobody@acme.example", timeout=0.5) == []
    assert store.buyer_by_email("nobody@acme.example") is None


def test_revoked_buyers_get_the_same_answer_and_no_link(client, outbox, store):
    request_access(client, "gone@acme.example")
    link_token(outbox, "gone@acme.example")
    store.revoke(store.buyer_by_email("gone@acme.example").id, "sales")
    answer = sign_in_request(client, "gone@acme.example")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert len(outbox.wait_for("gone@acme.example", count=2, timeout=0.5)) == 1


def test_links_per_address_are_limited_without_telling(portal_factory, outbox):
    client = portal_factory(
        rate_limits={
            "requests_per_ip_per_hour": 50,
            "links_per_email_per_hour": 2,
            "link_attempts_per_ip_per_hour": 50,
        }
    )
    answers = [sign_in_request(client, "flood@acme.example") for _ in range(1)]
    answers += [request_access(client, "flood@acme.example") for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert len(outbox.wait_for("flood@acme.example", count=3, timeout=0.5)) == 2


def test_requests_per_network_are_limited(portal_factory, store):
    client = portal_factory(
        rate_limits={
            "requests_per_ip_per_hour": 2,
            "links_per_email_per_hour": 5,
            "link_attempts_per_ip_per_hour": 50,
        }
    )
    codes = [request_access(client, f"n{i}@acme.example").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert store.buyer_by_email("n2@acme.example") is None


def test_guessing_links_is_limited(portal_factory):
    client = portal_factory(
        rate_limits={
            "requests_per_ip_per_hour": 5,
            "links_per_email_per_hour": 5,
            "link_attempts_per_ip_per_hour": 3,
        }
    )
    codes = [client.get(f"/access/guess-{i}").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]


def test_session_and_csrf_cookies_are_secure_httponly_and_strict(client, outbox):
    home = client.get("/")
    request_access(client, "cookie@acme.example")
    signed_in = use(client, link_token(outbox, "cookie@acme.example"))
    for response, name in ((home, "__Host-portal_csrf"), (signed_in, "__Host-portal_session")):
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(name + "=")
        assert (
            "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        )


def test_a_request_without_its_csrf_token_changes_nothing(client, outbox, store):
    client.get("/")
    forged = client.post("/request", data={"name": "Eve", "email": "eve@acme.example", "company": "Evil"})
    assert forged.status_code == 403 and "Form expired or forged" in forged.text
    other_origin = client.post(
        "/request",
        data={"csrf_token": csrf(client), "name": "Eve", "email": "eve@acme.example", "company": "Evil"},
        headers={"origin": "https://attacker.example"},
    )
    assert other_origin.status_code == 403
    assert store.buyer_by_email("eve@acme.example") is None and store.log() == []


def test_oversized_and_hostile_names_get_a_clear_page_and_change_nothing(client, store):
    cases = {
        "name": ["A" * 101, "Jane\x00Doe", "Jane \u202eeoD", ""],
        "company": ["C" * 5000, "Acme\x1b[31m"],
        "email": ["not-an-address", "jane@acme.example\r\nBcc: x@evil.example", "a@b"],
    }
    for field, values in cases.items():
        for value in values:
            data = {"name": "Jane Doe", "email": "jane@acme.example", "company": "Acme Ltd", field: value}
            response = request_access(client, **{"email": data.pop("email")}, **data)
            assert response.status_code == 422, (field, value)
            assert f'id="{field}-error"' in response.text
    assert store.buyers() == [] and store.log() == []
    huge = client.post("/request", data={"csrf_token": csrf(client), "name": "x" * 20000})
    assert huge.status_code == 413 and store.buyers() == []


def test_markup_in_a_name_is_shown_as_text(client, outbox, store):
    name = '<script>alert(1)</script> "Jane" & Co'
    request_access(client, "markup@acme.example", name=name, company="<b>Acme</b>")
    use(client, link_token(outbox, "markup@acme.example"))
    page = client.get("/nda").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert store.buyer_by_email("markup@acme.example").name == name
