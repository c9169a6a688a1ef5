"""`./dev release`: decide, from the environment CI gives, whether and how to publish the pack, then do it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

from ..datamodel import DataSet
from ..paths import Project
from .github import GitHubReleases
from .release import ReleaseClient, ReleaseRefused, check_repository, describe, plan_release, release_tag


def client_from_env(env: Mapping[str, str], repository: str) -> GitHubReleases | None:
    """A GitHub client from $GITHUB_TOKEN and $GITHUB_API_URL (default https://api.github.com); None without
    a token."""
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        return None
    return GitHubReleases(env.get("GITHUB_API_URL", "https://api.github.com"), repository, token)


def head_commit(project: Project, env: Mapping[str, str]) -> str:
    """The commit the release tag points at: $GITHUB_SHA in CI, else the checkout's HEAD."""
    if env.get("GITHUB_SHA"):
        return env["GITHUB_SHA"]
    result = subprocess.run(
        ["git", "-C", str(project.root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ReleaseRefused("cannot tell the commit to tag: not a git checkout and $GITHUB_SHA is not set")
    return result.stdout.strip()


def run_release(
    project: Project,
    dataset: DataSet,
    *,
    dry_run: bool = False,
    if_new: bool = False,
    env: Mapping[str, str] | None = None,
    client: ReleaseClient | None = None,
) -> str:
    """Publish the built pack as a release (or, with `dry_run`, say what would be published); the outcome as
    text. Raises ReleaseRefused for what the user must change, BuildFailed when a released version was altered."""
    env = os.environ if env is None else env
    releases = dataset.customer["releases"]
    check_repository(releases, env.get("GITHUB_REPOSITORY"))
    client = client or client_from_env(env, releases["repository"])
    if client is None and not dry_run:
        raise ReleaseRefused("set GITHUB_TOKEN (CI passes secrets.GITHUB_TOKEN) or use --dry-run")
    version = dataset.customer["pack"]["version"]
    plan = plan_release(project, dataset, client, project.build / "releases" / version, if_new=if_new)
    if plan is None:
        pack = dataset.customer["pack"]
        why = (
            "a draft"
            if pack["status"] != "released"
            else f"already released as {release_tag(releases, version)}"
        )
        return f"release: pack {version} is {why}; nothing to publish"
    if dry_run:
        checked = "" if client else "; GitHub not asked: no GITHUB_TOKEN"
        return f"release (dry run{checked}): would publish\n{describe(plan)}"
    url = client.create(plan.tag, plan.title, plan.notes, head_commit(project, env), plan.assets)
    return f"release: published {plan.tag} at {url}\n{describe(plan)}"
