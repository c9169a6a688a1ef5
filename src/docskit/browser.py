"""Debian's chromium for browser tests, driven by Playwright without downloading a browser of its own."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"

# Headless, as root, and quiet on a machine with no network beyond loopback: without the background-networking
# flags chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright):
    """Start Debian's chromium through a started `sync_playwright()` object."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
