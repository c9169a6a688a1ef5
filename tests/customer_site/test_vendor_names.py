"""Every scope, permission, event, role, table and error named for a connector exists, spelled exactly so, in the
vendor's own documentation.

The reference lists below were compiled by hand from the vendors' documentation (each list cites its page). They
hold only names we checked; a name that is not here fails the test until someone verifies it and adds it with its
source. The same lists check the inline `code` on the built connector pages.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from docskit.datamodel import load_dataset

# --- Slack -------------------------------------------------------------------------------------------------
# Bot token scopes: https://docs.slack.dev/reference/scopes (pages channels.history, groups.history,
# app_mentions.read, commands, users.read, users.read.email ("must be requested at the same time as
# users:read"), chat.write).
SLACK_SCOPES = {
    "channels:history",
    "groups:history",
    "app_mentions:read",
    "commands",
    "users:read",
    "users:read.email",
    "chat:write",
}
# Events API: https://docs.slack.dev/reference/events (message.channels requires channels:history,
# message.groups requires groups:history, app_mention requires app_mentions:read).
SLACK_EVENTS = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "app_mention": "app_mentions:read",
}
# Interaction payload types: https://docs.slack.dev/reference/interaction-payloads (block_actions) and
# https://api.slack.com/reference/interaction-payloads/shortcuts ("message shortcuts will return message_action").
SLACK_INTERACTION_PAYLOADS = {"block_actions", "message_action"}
# Web API error codes: https://docs.slack.dev/reference/methods/chat.postMessage (Errors table) and the common
# errors every method lists ("invalid_auth: ... the request originates from an IP address disallowed from
# making the request", "ratelimited: ... Refer to the Retry-After header", "token_expired").
SLACK_ERRORS = {
    "missing_scope",
    "invalid_auth",
    "token_expired",
    "token_revoked",
    "ratelimited",
    "not_in_channel",
    "channel_not_found",
    "account_inactive",
    "not_authed",
}

# --- GitHub ------------------------------------------------------------------------------------------------
# Repository permissions of GitHub Apps, as the registration page names them:
# https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps
GITHUB_REPOSITORY_PERMISSIONS = {"Metadata", "Contents", "Pull requests", "Issues", "Checks"}
# Access levels: https://docs.github.com/en/apps/creating-github-apps/registering-a-github-app/choosing-permissions-for-a-github-app
GITHUB_ACCESS_LEVELS = {"Read-only", "Read and write"}
# Webhook events and the permission each needs ("To subscribe to this event, a GitHub App must have at least
# read-level access for the ... permission"): https://docs.github.com/en/webhooks/webhook-events-and-payloads
GITHUB_EVENTS = {
    "pull_request": "Pull requests",
    "issues": "Issues",
    "issue_comment": "Issues",
    "push": "Contents",
    "check_run": "Checks",
}
# REST API error messages: https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
# and https://docs.github.com/en/enterprise-cloud@latest/organizations/keeping-your-organization-secure/managing-security-settings-for-your-organization/managing-allowed-ip-addresses-for-your-organization
GITHUB_ERRORS = {
    "Resource not accessible by integration",
    "Bad credentials",
    "API rate limit exceeded for installation ID",
    "has an IP allow list enabled, and your IP address is not permitted to access this resource",
}

# --- ServiceNow --------------------------------------------------------------------------------------------
# Roles: https://www.servicenow.com/docs/r/platform-administration/user-administration/c_ReadOnlyRole.html
# (snc_read_only), REST API role-based access (snc_platform_rest_api_access), base system roles (itil, admin).
SERVICENOW_ROLES = {"admin", "itil", "snc_platform_rest_api_access", "snc_read_only"}
# Tables: https://www.servicenow.com/docs (Table API; incident, change_request, sys_journal_field, sys_user,
# sys_user_group are base system tables).
SERVICENOW_TABLES = {"incident", "change_request", "sys_journal_field", "sys_user", "sys_user_group"}
# Error bodies: REST API HTTP response codes and JWT/OAuth "User not authenticated error"
# (https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTAPIHTTPResponseCodes.html),
# inbound REST API rate limiting ("Rate limit exceeded", 429, Retry-After), IP range based authentication
# (node log "Security restricted: Access restricted (... not authorized)", 403).
SERVICENOW_ERRORS = {
    '"message":"User Not Authenticated","detail":"Required to provide Auth information"',
    '"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"',
    '"message":"Rate limit exceeded"',
    "Security restricted: Access restricted (",
}

PERMISSIONS = {"slack": SLACK_SCOPES, "github": GITHUB_REPOSITORY_PERMISSIONS, "servicenow": SERVICENOW_ROLES}
EVENTS = {"slack": SLACK_EVENTS, "github": GITHUB_EVENTS, "servicenow": {}}
ERRORS = {"slack": SLACK_ERRORS, "github": GITHUB_ERRORS, "servicenow": SERVICENOW_ERRORS}

# Every identifier-like name the connector pages may show in inline code.
KNOWN_NAMES = (
    SLACK_SCOPES
    | set(SLACK_EVENTS)
    | SLACK_INTERACTION_PAYLOADS
    | SLACK_ERRORS
    | set(GITHUB_EVENTS)
    | SERVICENOW_ROLES
    | SERVICENOW_TABLES
)
# Inline code that looks like a scope, role, table, event or error code: lower case, `_`, `.` and `:` only.
PERMISSION_LIKE = re.compile(r"^[a-z][a-z0-9_]*(?:[.:][a-z0-9_]+)*$")


@pytest.fixture(scope="module")
def connectors(built_project):
    return {c["id"]: c for c in load_dataset(built_project).customer["connectors"]}


def test_every_permission_is_spelled_as_the_vendor_documents_it(connectors):
    unknown = [
        (cid, p["name"])
        for cid, c in connectors.items()
        for p in c["permissions"]
        if p["name"] not in PERMISSIONS[cid]
    ]
    assert unknown == [], "not in the vendor reference lists (verify, then add with its source)"


def test_github_access_levels_are_githubs_own_wording(connectors):
    levels = {p.get("access") for p in connectors["github"]["permissions"]}
    assert levels <= GITHUB_ACCESS_LEVELS


def test_every_event_exists_and_names_the_permission_it_needs(connectors):
    for cid, c in connectors.items():
        granted = {p["name"] for p in c["permissions"]}
        for event in c["events"]:
            assert event["name"] in EVENTS[cid], f"{cid}: unknown event {event['name']}"
            assert event["requires"] == EVENTS[cid][event["name"]], (
                f"{cid}: {event['name']} needs another permission"
            )
            assert event["requires"] in granted, (
                f"{cid}: {event['name']} needs {event['requires']}, not granted"
            )


def test_slack_interactivity_payloads_are_slack_payload_types(connectors):
    assert {i["name"] for i in connectors["slack"]["interactivity"]} <= SLACK_INTERACTION_PAYLOADS


def test_servicenow_roles_and_tables_are_real(connectors):
    servicenow = connectors["servicenow"]
    assert {t["name"] for t in servicenow["tables"]} <= SERVICENOW_TABLES
    assert set(servicenow["customer_admin_roles"]) <= SERVICENOW_ROLES


def test_users_read_email_is_requested_with_users_read(connectors):
    scopes = {p["name"] for p in connectors["slack"]["permissions"]}
    assert "users:read.email" not in scopes or "users:read" in scopes


def test_troubleshooting_quotes_documented_vendor_errors(connectors):
    for cid, c in connectors.items():
        for row in c["troubleshooting"]:
            text = row["vendor_error"].replace('": "', '":"').replace('", "', '","')
            if cid == "slack":
                codes = set(re.findall(r'"error":"([a-z_]+)"', text))
                assert codes and codes <= SLACK_ERRORS, (
                    f"slack {row['id']}: {codes - SLACK_ERRORS or 'no code'}"
                )
            else:
                assert any(known in text for known in ERRORS[cid]), f"{cid} {row['id']}: undocumented error"


class _InlineCode(HTMLParser):
    """Text of every <code> element outside <pre> blocks."""

    def __init__(self):
        super().__init__()
        self.codes: list[str] = []
        self._pre = 0
        self._code: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self._pre += 1
        elif tag == "code" and not self._pre:
            self._code = []

    def handle_endtag(self, tag):
        if tag == "pre":
            self._pre -= 1
        elif tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None

    def handle_data(self, data):
        if self._code is not None:
            self._code.append(data)


def unknown_code_names(html: str) -> set[str]:
    """Inline code on a page that looks like a permission-like name and is not in the vendor reference lists."""
    parser = _InlineCode()
    parser.feed(html)
    return {c for c in parser.codes if PERMISSION_LIKE.match(c) and c not in KNOWN_NAMES}


@pytest.mark.parametrize("connector_id", ["servicenow", "slack", "github"])
def test_connector_pages_show_only_documented_names_in_code(built_project, connectors, connector_id):
    page = connectors[connector_id]["page"].removesuffix(".md")
    html = (built_project.build / "site" / "customer" / page / "index.html").read_text(encoding="utf-8")
    assert unknown_code_names(html) == set()


def test_an_invented_scope_on_a_page_is_caught():
    html = (
        "<p><code>chat:write</code> <code>chat:write.everything</code></p><pre><code>not:checked</code></pre>"
    )
    assert unknown_code_names(html) == {"chat:write.everything"}
