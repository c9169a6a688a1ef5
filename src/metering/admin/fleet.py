"""The fleet view: every tenant ranked by its fullest dimension, filtered and cut into pages on the server."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from ..meter import Meter
from .views import TenantSummary, overview

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class FleetQuery:
    """What the operator asked for: a plan ("" for all), only tenants at or over a limit, a search text, a page."""

    plan: str = ""
    at_limit: bool = False
    search: str = ""
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_params(cls, params) -> FleetQuery:
        """From query parameters; anything malformed falls back to its default rather than failing the page."""

        def number(name: str, default: int) -> int:
            text = params.get(name, "")
            return int(text) if text.isdigit() and int(text) > 0 else default

        per_page = number("per_page", DEFAULT_PAGE_SIZE)
        return cls(
            plan=params.get("plan", "").strip(),
            at_limit=params.get("at_limit") == "1",
            search=params.get("q", "").strip().lower()[:100],
            page=number("page", 1),
            per_page=per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        )

    def url(self, **changes) -> str:
        """The fleet URL of this query with `changes` applied (the page goes back to 1 unless given)."""
        page = changes.pop("page", 1)
        params = {
            "plan": self.plan,
            "at_limit": "1" if self.at_limit else "",
            "q": self.search,
            "page": page if page != 1 else "",
            "per_page": self.per_page if self.per_page != DEFAULT_PAGE_SIZE else "",
            **changes,
        }
        query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
        return "/" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class FleetPage:
    """One page of the fleet: its rows, how many tenants matched, how many exist, and the plans to filter by."""

    rows: list[TenantSummary]
    matched: int
    total: int
    pages: int
    query: FleetQuery
    plans: list[str]
    at_limit_count: int


def fleet_page(meter: Meter, now: float, query: FleetQuery) -> FleetPage:
    """The tenants matching `query`, fullest dimension first, cut to the requested page (clamped to the last)."""
    everyone = overview(meter, now)
    full = [s for s in everyone if s.top.percent >= 100]
    chosen = full if query.at_limit else everyone
    if query.plan:
        chosen = [s for s in chosen if s.plan == query.plan]
    if query.search:
        chosen = [s for s in chosen if query.search in s.tenant.lower() or query.search in s.name.lower()]
    pages = max(1, -(-len(chosen) // query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    shown = FleetQuery(query.plan, query.at_limit, query.search, page, query.per_page)
    plans = sorted({s.plan for s in everyone})
    return FleetPage(
        chosen[start : start + query.per_page], len(chosen), len(everyone), pages, shown, plans, len(full)
    )
