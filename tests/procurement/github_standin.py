"""A stand-in for the part of the GitHub REST API the publishing step uses, served on 127.0.0.1 (random port).

It keeps releases in memory, answers like GitHub (404 for an unknown tag, drafts invisible by tag, asset
downloads redirected to a signed address) and records every request, so tests see exactly what was sent.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class StandInGitHub:
    """State of the stand-in: one repository's releases, its visibility, and the requests received."""

    repository: str
    visibility: str = "private"
    releases: dict[int, dict] = field(default_factory=dict)
    assets: dict[int, bytes] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    fail_upload_of: str = ""
    base: str = ""

    def add_release(self, tag: str, files: dict[str, bytes], draft: bool = False) -> dict:
        """A release that already exists, with its assets."""
        release = self._new_release(tag, tag, "", "", draft)
        for name, data in files.items():
            self._add_asset(release, name, data)
        return release

    def published(self, tag: str) -> dict | None:
        return next((r for r in self.releases.values() if r["tag_name"] == tag and not r["draft"]), None)

    def asset_bytes(self, release: dict, name: str) -> bytes:
        return self.assets[next(a["id"] for a in release["assets"] if a["name"] == name)]

    def writes(self) -> list[dict]:
        return [r for r in self.requests if r["method"] != "GET"]

    def _new_release(self, tag: str, name: str, body: str, commit: str, draft: bool) -> dict:
        number = len(self.releases) + 1
        release = {
            "id": number,
            "tag_name": tag,
            "name": name,
            "body": body,
            "target_commitish": commit,
            "draft": draft,
            "html_url": f"https://github.com/{self.repository}/releases/tag/{tag}",
            "upload_url": f"{self.base}/uploads/repos/{self.repository}/releases/{number}/assets{{?name,label}}",
            "assets": [],
        }
        self.releases[number] = release
        return release

    def _add_asset(self, release: dict, name: str, data: bytes) -> dict:
        asset_id = len(self.assets) + 1
        self.assets[asset_id] = data
        asset = {
            "id": asset_id,
            "name": name,
            "size": len(data),
            "url": f"{self.base}/repos/{self.repository}/releases/assets/{asset_id}",
        }
        release["assets"].append(asset)
        return asset


def _handler(state: StandInGitHub):
    repo = re.escape(state.repository)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, payload=None, headers: dict | None = None, raw: bytes | None = None):
            body = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else b"")
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _record(self) -> tuple[str, dict, bytes]:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(
                {
                    "method": self.command,
                    "path": url.path,
                    "query": url.query,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                }
            )
            return url.path, urllib.parse.parse_qs(url.query), body

        def do_GET(self):
            path, query, _ = self._record()
            if path == f"/repos/{state.repository}":
                return self._send(200, {"full_name": state.repository, "visibility": state.visibility})
            if m := re.fullmatch(rf"/repos/{repo}/releases/tags/(.+)", path):
                found = state.published(urllib.parse.unquote(m.group(1)))
                return self._send(200, found) if found else self._send(404, {"message": "Not Found"})
            if path == f"/repos/{state.repository}/releases":
                page, size = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["30"])[0])
                listed = list(state.releases.values())[::-1][(page - 1) * size : page * size]
                return self._send(200, listed)
            if m := re.fullmatch(rf"/repos/{repo}/releases/assets/(\d+)", path):
                return self._send(302, headers={"Location": f"{state.base}/signed/{m.group(1)}"})
            if m := re.fullmatch(r"/signed/(\d+)", path):
                return self._send(200, raw=state.assets[int(m.group(1))])
            return self._send(404, {"message": "Not Found"})

        def do_POST(self):
            path, query, body = self._record()
            if path == f"/repos/{state.repository}/releases":
                data = json.loads(body)
                release = state._new_release(
                    data["tag_name"], data["name"], data["body"], data["target_commitish"], data["draft"]
                )
                return self._send(201, release)
            if m := re.fullmatch(rf"/uploads/repos/{repo}/releases/(\d+)/assets", path):
                name = query["name"][0]
                if name == state.fail_upload_of:
                    return self._send(502, {"message": "Bad Gateway"})
                return self._send(201, state._add_asset(state.releases[int(m.group(1))], name, body))
            return self._send(404, {"message": "Not Found"})

        def do_PATCH(self):
            path, _, body = self._record()
            if m := re.fullmatch(rf"/repos/{repo}/releases/(\d+)", path):
                release = state.releases[int(m.group(1))]
                release.update(json.loads(body))
                return self._send(200, release)
            return self._send(404, {"message": "Not Found"})

        def do_DELETE(self):
            path, _, _ = self._record()
            if m := re.fullmatch(rf"/repos/{repo}/releases/(\d+)", path):
                state.releases.pop(int(m.group(1)), None)
                return self._send(204)
            return self._send(404, {"message": "Not Found"})

    return Handler


def serve(state: StandInGitHub) -> ThreadingHTTPServer:
    """Start the stand-in on 127.0.0.1 (a free port); `state.base` becomes its address. Shut it down after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
