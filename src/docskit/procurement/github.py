"""The GitHub REST API calls the publishing step makes (releases and their assets), with the standard library.

Only `release.py` uses this; tests point it at a stand-in server on 127.0.0.1.
"""

from __future__ import annotations

import json
import mimetypes
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .release import MANIFEST, manifest_from_bytes

API_VERSION = "2022-11-28"


class GitHubError(Exception):
    """GitHub answered with an error; the message has the method, address, status and GitHub's message."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class GitHubReleases:
    """Releases of one repository through the REST API (`api` is $GITHUB_API_URL, e.g. https://api.github.com)."""

    def __init__(self, api: str, repository: str, token: str, timeout: float = 60.0):
        self.api = api.rstrip("/")
        self.repository = repository
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        accept: str = "application/vnd.github+json",
    ) -> tuple[int, bytes, dict]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": accept,
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "docskit-release",
        }
        if body is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers or {})

    def _json(
        self, method: str, path: str, payload: dict | None = None, allow: tuple[int, ...] = ()
    ) -> object:
        url = path if path.startswith("http") else f"{self.api}/repos/{self.repository}{path}"
        body = json.dumps(payload).encode("utf-8") if payload is not None else None
        status, data, _ = self._request(method, url, body)
        if status in allow:
            return None
        if status >= 300:
            raise GitHubError(f"{method} {url}: HTTP {status}: {data[:300].decode('utf-8', 'replace')}")
        return json.loads(data) if data else None

    def release(self, tag: str) -> dict | None:
        """The published release with this tag, or None (GitHub answers 404; drafts are not found by tag)."""
        return self._json("GET", f"/releases/tags/{urllib.parse.quote(tag)}", allow=(404,))

    def pack_releases(self, prefix: str) -> list[dict]:
        """Published releases whose tag starts with `prefix` (every page of the list)."""
        found, page = [], 1
        while True:
            batch = self._json("GET", f"/releases?per_page=100&page={page}")
            found += [r for r in batch if not r.get("draft") and r["tag_name"].startswith(prefix)]
            if len(batch) < 100:
                return found
            page += 1

    def manifest(self, release: dict) -> dict | None:
        """A release's manifest.json asset, parsed; None when the release has none."""
        asset = next((a for a in release.get("assets", []) if a["name"] == MANIFEST), None)
        if asset is None:
            return None
        status, data, headers = self._request("GET", asset["url"], accept="application/octet-stream")
        if status in (301, 302, 303, 307, 308):
            # Asset bytes live behind a signed address that must not receive our token.
            with urllib.request.urlopen(headers["Location"], timeout=self.timeout) as response:
                data = response.read()
        elif status >= 300:
            raise GitHubError(f"GET {asset['url']}: HTTP {status}")
        return manifest_from_bytes(data)

    def visibility(self) -> str:
        """ "public", "private" or "internal"."""
        return self._json("GET", "")["visibility"]

    def create(self, tag: str, title: str, notes: str, commit: str, assets: list[Path]) -> str:
        """Create a draft release, upload every asset, then publish it; on any failure delete the draft."""
        draft = self._json(
            "POST",
            "/releases",
            {"tag_name": tag, "target_commitish": commit, "name": title, "body": notes, "draft": True},
        )
        try:
            upload = draft["upload_url"].split("{", 1)[0]
            for path in assets:
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                url = f"{upload}?name={urllib.parse.quote(path.name)}"
                status, data, _ = self._request("POST", url, path.read_bytes(), kind)
                if status >= 300:
                    raise GitHubError(
                        f"upload of {path.name}: HTTP {status}: {data[:300].decode('utf-8', 'replace')}"
                    )
            published = self._json("PATCH", f"/releases/{draft['id']}", {"draft": False})
        except Exception:
            self._json("DELETE", f"/releases/{draft['id']}", allow=(404,))
            raise
        return published["html_url"]
