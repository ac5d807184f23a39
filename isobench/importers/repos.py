"""Where an imported row's repository is: a local clone under `--repo-root` (offline machines), else its
GitHub URL (cloned once into state/repos/ by `plan`); and the human commit of a set that gives only a
patch, made in isobench's own clone so the user's clones are never written to."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from isobench.gitutil import GitError, run_git
from isobench.importers.base import RowError
from isobench.plan import repo_name
from isobench.state import State

_URL_PREFIXES = ("http://", "https://", "ssh://", "git://", "file://", "git@")


def clone_url(repo: str) -> str:
    """`owner/name` as its GitHub clone URL (a URL is kept)."""
    return repo if repo.startswith(_URL_PREFIXES) else f"https://github.com/{repo}.git"


def locate(repo: str, repo_root: Path | None) -> str:
    """The task's `repo`: the local clone `DIR/owner+name` or `DIR/name` (or a `repo` clone inside either, as
    the library's fetch tool leaves mirrors) with `--repo-root DIR`, else the clone URL. RowError when DIR has
    neither."""
    if repo_root is None:
        return clone_url(repo)
    owner_and_name = repo.removesuffix(".git").split(":")[-1].split("/")[-2:]
    candidates = [repo_root / "+".join(owner_and_name), repo_root / owner_and_name[-1]]
    for candidate in candidates:
        for path in (candidate, candidate.with_name(candidate.name + ".git")):
            if path.is_dir():
                git_dir = (path / ".git").exists() or (path / "HEAD").is_file()
                return str((path if git_dir or not (path / "repo").is_dir() else path / "repo").resolve())
    looked = " or ".join(f"{c}/" for c in candidates)
    raise RowError(f"no clone of {repo} under --repo-root {repo_root} (looked for {looked})")


def own_clone(source: str, state: State) -> Path:
    """isobench's bare clone of `source` (a URL or a local clone), made once: where a commit of its own may
    be written. It is where `plan` clones a URL to; a local clone is copied with hard links (cheap)."""
    dest = state.root / "repos" / f"{repo_name(source)}.git"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        local = not source.startswith(_URL_PREFIXES)
        cmd = ["git", "clone", "--bare", "-q", *(["--local"] if local else []), source, str(dest)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["git clone failed"])[-1]
            raise RowError(f"cannot clone {source}: {last}")
    return dest


def synthesize_head(repo: Path, base: str, patch: str, ref: str, message: str, date: str | None) -> str:
    """The commit applying `patch` to `base`, made in `repo` and kept by `ref`; the same row gives the same
    commit every time (fixed author, date and message), so planning again changes nothing."""
    try:
        base_sha = run_git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], repo).strip()
    except GitError:
        raise RowError(f"unknown commit {base!r} in repository {repo}") from None
    when = date or run_git(["show", "-s", "--format=%cI", base_sha], repo).strip()
    identity = {
        "GIT_AUTHOR_NAME": "isobench import",
        "GIT_AUTHOR_EMAIL": "isobench@localhost",
        "GIT_COMMITTER_NAME": "isobench import",
        "GIT_COMMITTER_EMAIL": "isobench@localhost",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    with tempfile.TemporaryDirectory() as tmp:
        env = {**identity, "GIT_INDEX_FILE": os.path.join(tmp, "index")}
        run_git(["read-tree", base_sha], repo, env=env)
        try:
            run_git(["apply", "--cached", "--whitespace=nowarn", "-"], repo, input=patch.encode(), env=env)
        except GitError as exc:
            raise RowError(f"the row's patch does not apply to {base_sha[:12]}: {exc}") from None
        tree = run_git(["write-tree"], repo, env=env).strip()
    sha = run_git(["commit-tree", tree, "-p", base_sha, "-m", message], repo, env=identity).strip()
    run_git(["update-ref", ref, sha], repo)
    return sha
