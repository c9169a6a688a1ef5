"""`when` conditions of checklist steps and paperwork rules: does a record apply to a tenant's options?"""

from __future__ import annotations

from collections.abc import Mapping

from .options import TenantOptions

# condition key -> the TenantOptions attribute it tests
_ATTRIBUTES = {
    "regions": "region",
    "data_modes": "data_mode",
    "key_modes": "key_mode",
    "key_providers": "key_provider",
}


def applies(when: Mapping | None, options: TenantOptions) -> bool:
    """True when the options meet every condition: one of the listed values each; any listed connector."""
    for key, expected in (when or {}).items():
        if key == "connectors":
            if not set(expected) & set(options.connectors):
                return False
        elif key == "eu_personal_data":
            if bool(expected) != options.eu_personal_data:
                return False
        elif getattr(options, _ATTRIBUTES[key]) not in expected:
            return False
    return True


def describe(when: Mapping | None, context: Mapping) -> str:
    """The conditions in words, with names from data: 'Slack or GitHub connector; EU region'."""
    if not when:
        return "Every tenant"
    names = {
        "connectors": ("connector", context["connectors"]),
        "regions": ("region", context["regions"]),
        "data_modes": ("data mode", context["data_modes"]),
        "key_modes": ("", context["key_modes"]),
        "key_providers": ("BYOK key", context["key_providers"]),
    }
    parts = []
    for key, expected in when.items():
        if key == "eu_personal_data":
            parts.append("EU personal data involved" if expected else "no EU personal data")
            continue
        noun, records = names[key]
        by_id = {r["id"]: r["name"] for r in records}
        listed = " or ".join(by_id[v] for v in expected)
        parts.append(f"{listed} {noun}".strip())
    return "; ".join(parts)
