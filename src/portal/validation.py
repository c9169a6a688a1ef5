"""Form input a buyer types: names and organisations are stamped into PDFs and written to logs, e-mail addresses go
into mail headers. Each is normalised or refused with a message naming the field; nothing is stored on refusal."""

from __future__ import annotations

import re
import unicodedata

from docskit.problems import BuildFailed
from docskit.procurement.distribute import clean_recipient

from .errors import InvalidInput

MAX_NAME = 100
MAX_EMAIL = 254
# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) can make a stamp read as another name.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


def clean_text(field: str, label: str, value: str) -> str:
    """A person's or organisation's name as it will be stamped: NFC, whitespace collapsed, 1 to MAX_NAME
    printable characters; InvalidInput otherwise."""
    raw = value or ""
    if len(raw) > 4 * MAX_NAME or _BIDI_CONTROL.search(raw):
        raise InvalidInput(
            field, f"{label}: use 1 to {MAX_NAME} printable characters, without direction controls."
        )
    try:
        text = clean_recipient(raw)
    except BuildFailed:
        raise InvalidInput(field, f"{label}: use 1 to {MAX_NAME} printable characters.") from None
    if len(text) > MAX_NAME or any(unicodedata.category(c) == "Cs" for c in text):
        raise InvalidInput(field, f"{label}: use 1 to {MAX_NAME} printable characters.")
    return text


def clean_email(value: str) -> str:
    """A work e-mail address, domain lower-cased; InvalidInput when it is not one address."""
    text = (value or "").strip()
    local, _, domain = text.rpartition("@")
    text = f"{local}@{domain.lower()}" if local else text
    if len(text) > MAX_EMAIL or not _EMAIL.match(text) or ".." in local:
        raise InvalidInput("email", "Work e-mail: enter one address such as jane.doe@example.com.")
    return text


def email_domain(email: str) -> str:
    return email.rpartition("@")[2]
