"""A tenant's onboarding options (region, data mode, keys, connectors), their validation and enumeration."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from .choices import canonical, match_choice

BYOK = "byok"
PLATFORM_MANAGED = "platform_managed"


class OptionError(ValueError):
    """An unknown value or a forbidden combination; the message lists the valid choices."""


@dataclass(frozen=True)
class TenantOptions:
    """What a tenant chose: one region, one data mode, one key option and a non-empty set of connectors.

    `key_provider` is set exactly when `key_mode` is BYOK. `eu_personal_data` says whether events carry personal
    data of people in the EU or EEA (always assumed for EU-region tenants unless stated otherwise).
    """

    region: str
    data_mode: str
    key_mode: str
    key_provider: str | None
    connectors: tuple[str, ...]
    eu_personal_data: bool

    @property
    def key_option(self) -> str:
        """The key choice as one word: the provider id for BYOK, else the key mode id."""
        return self.key_provider or self.key_mode

    def label(self) -> str:
        """A short, stable description used in messages: 'region=eu data_mode=… keys=aws_kms connectors=…'."""
        parts = [
            f"region={self.region}",
            f"data_mode={self.data_mode}",
            f"keys={self.key_option}",
            f"connectors={','.join(self.connectors)}",
        ]
        if self.eu_personal_data:
            parts.append("eu_personal_data")
        return " ".join(parts)

    def to_dict(self) -> dict:
        return {
            "region": self.region,
            "data_mode": self.data_mode,
            "key_mode": self.key_mode,
            "key_provider": self.key_provider,
            "connectors": list(self.connectors),
            "eu_personal_data": self.eu_personal_data,
        }


def _ids(records) -> list[str]:
    return [r["id"] for r in records]


def key_choices(context: Mapping) -> list[str]:
    """Valid values of --keys: every key mode except BYOK itself, then every BYOK provider."""
    return [k for k in _ids(context["key_modes"]) if k != BYOK] + _ids(context["key_providers"])


def _one_of(kind: str, value: str, valid: Sequence[str]) -> str:
    return match_choice(kind, value, valid, OptionError)


def parse_keys(context: Mapping, keys: str) -> tuple[str, str | None]:
    """(key_mode, key_provider) from a --keys value: a key mode id, a provider id, or 'byok:<provider>'."""
    valid = key_choices(context)
    value = keys.strip()
    if canonical(value).startswith(f"{BYOK}:"):
        value = value.split(":", 1)[1]
    if canonical(value) == BYOK:
        raise OptionError(f"--keys byok needs the key service; valid: {', '.join(valid)}")
    value = _one_of("key option", value, valid)
    if value in _ids(context["key_providers"]):
        return BYOK, value
    return value, None


def parse_connectors(context: Mapping, connectors: str | Sequence[str]) -> tuple[str, ...]:
    """Connector ids from 'a,b' or a sequence, in data order; at least one, each known, none twice."""
    valid = _ids(context["connectors"])
    items = [c.strip() for c in connectors.split(",")] if isinstance(connectors, str) else list(connectors)
    items = [c for c in items if c]
    if not items:
        raise OptionError(f"at least one connector is required; valid: {', '.join(valid)}")
    items = [_one_of("connector", item, valid) for item in items]
    if len(set(items)) != len(items):
        raise OptionError(f"a connector is listed twice in {','.join(items)}; valid: {', '.join(valid)}")
    return tuple(c for c in valid if c in items)


def build_options(
    context: Mapping,
    region: str,
    data_mode: str,
    keys: str,
    connectors: str | Sequence[str],
    eu_personal_data: bool | None = None,
) -> TenantOptions:
    """Validated options; raises OptionError naming the bad value and the valid choices.

    `eu_personal_data` None means: true for a tenant in an EU-jurisdiction region, false otherwise.
    """
    regions = {r["id"]: r for r in context["regions"]}
    region = _one_of("region", region, list(regions))
    data_mode = _one_of("data mode", data_mode, _ids(context["data_modes"]))
    key_mode, key_provider = parse_keys(context, keys)
    chosen = parse_connectors(context, connectors)
    if eu_personal_data is None:
        eu_personal_data = regions[region]["jurisdiction"] == "EU"
    return TenantOptions(region, data_mode, key_mode, key_provider, chosen, bool(eu_personal_data))


def connector_subsets(connector_ids: Sequence[str]) -> Iterator[tuple[str, ...]]:
    """Every non-empty subset of the connectors, in data order."""
    for size in range(1, len(connector_ids) + 1):
        yield from itertools.combinations(connector_ids, size)


def all_combinations(context: Mapping) -> Iterator[TenantOptions]:
    """Every supported combination: connector subset × region × data mode × key option × EU personal data.

    EU-jurisdiction regions always carry EU personal data; other regions are enumerated with and without it.
    """
    for region in context["regions"]:
        eu_values = (True,) if region["jurisdiction"] == "EU" else (False, True)
        for mode, keys, subset, eu in itertools.product(
            _ids(context["data_modes"]),
            key_choices(context),
            connector_subsets(_ids(context["connectors"])),
            eu_values,
        ):
            yield build_options(context, region["id"], mode, keys, subset, eu)
