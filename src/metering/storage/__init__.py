"""Stores chosen by URL: memory://, sqlite:///path.db, redis://host:port/db, redis+cluster://host:port,..."""

from __future__ import annotations

from urllib.parse import urlparse

from ..errors import ConfigError
from .base import Storage


def storage_from_url(url: str, **options) -> Storage:
    """The store for a URL; ConfigError for an unknown scheme."""
    scheme = urlparse(url).scheme
    if scheme == "memory":
        from .memory import MemoryStorage

        return MemoryStorage(url)
    if scheme == "sqlite":
        from .sqlite import SqliteStorage

        return SqliteStorage(url, **options)
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisStorage

        return RedisStorage(url, **options)
    if scheme == "redis+cluster":
        from .redis_cluster import RedisClusterStorage

        return RedisClusterStorage(url, **options)
    raise ConfigError(
        f"unknown storage URL {url!r}; use memory://, sqlite:///path.db, redis://host:port or "
        "redis+cluster://host:port[,host:port...]",
        "url",
    )


__all__ = ["Storage", "storage_from_url"]
