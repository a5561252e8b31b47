"""Where prodops-sync itself comes from: its repository, its release versions, install specs.

``prodops-sync init`` writes workflows and a pre-commit configuration that must install
*something that resolves* on a fresh runner. A release (``0.2.0``) is on PyPI and tagged
``v0.2.0`` in the repository, so it can be pinned; a development or local build
(``0.2.0.dev3``, ``0.2.0+local``) is on no index, so the generated files install from the
repository's default branch instead and say so. Everything here is a pure function.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from prodops_sync import __version__

# The project's one canonical home. Nothing in the repository named one before this constant
# (docs used an OWNER placeholder); pyproject.toml's [project.urls] and the hook examples in
# docs/ci.md and .pre-commit-hooks.yaml repeat it, and tests/test_release.py keeps them equal.
REPOSITORY = "https://github.com/prodops-sync/prodops-sync"
PACKAGE = "prodops-sync"
DEFAULT_BRANCH = "main"


def is_release(version: str) -> bool:
    """True for a final or pre-release version (``1.2.0``, ``1.3.0rc1``) that a release tag
    publishes; False for development (``.devN``) and local (``+local``) versions and for
    strings that are no version at all."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    return not parsed.is_devrelease and parsed.local is None


def tag_for(version: str) -> str:
    """The Git tag a release is published from (``0.2.0`` -> ``v0.2.0``)."""
    return f"v{Version(version)}"


@dataclass(frozen=True)
class Source:
    """What generated files install prodops-sync from.

    ``pip`` is the argument of ``pip install`` in the workflows. ``hook_rev`` is the tag the
    pre-commit configuration pins when the hooks come from :data:`REPOSITORY`; None means the
    hooks are ``repo: local`` hooks installing ``pip`` (a git URL, a path, a branch).
    ``note`` explains a choice the user should know about (shown by ``init``), or is empty.
    """

    pip: str
    hook_rev: str | None
    note: str = ""


def source_for(
    *, version: str | None = None, spec: str | None = None, running: str = __version__
) -> Source:
    """The install source for generated files.

    ``spec`` (``init --from``) wins: any ``pip install`` argument, used verbatim. ``version``
    (``init --version``) must be a release and is pinned. Otherwise the running version is
    pinned when it is a release, and a development build installs the repository's default
    branch (it is on no package index).
    """
    if spec:
        return Source(pip=spec, hook_rev=None)
    if version is not None:
        if not is_release(version):
            raise ValueError(
                f"--version {version}: not a release version (X.Y.Z); "
                "use --from for a git URL, a branch or a path"
            )
        return Source(pip=f"{PACKAGE}=={Version(version)}", hook_rev=tag_for(version))
    if is_release(running):
        return Source(pip=f"{PACKAGE}=={running}", hook_rev=tag_for(running))
    branch_spec = f"{PACKAGE} @ git+{REPOSITORY}@{DEFAULT_BRANCH}"
    return Source(
        pip=branch_spec,
        hook_rev=None,
        note=(
            f"prodops-sync {running} is a development build, on no package index: the "
            f"workflows and hooks install {REPOSITORY} at {DEFAULT_BRANCH}; pass "
            "--version X.Y.Z to pin a release"
        ),
    )


def check_tag(tag: str, version: str = __version__) -> str | None:
    """Why ``tag`` cannot publish ``version`` (one line), or None when it can: the release
    workflow refuses to upload a build whose version is not the tag's, or not a release."""
    if not is_release(version):
        return (f"version {version} is not a release: set __version__ in "
                f"prodops_sync/__init__.py to X.Y.Z before tagging (docs/releasing.md)")
    if tag != tag_for(version):
        return (f"tag {tag} does not match version {version} (expected {tag_for(version)}); "
                "fix the tag or __version__ (docs/releasing.md)")
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m prodops_sync.project check-tag TAG``: exit 1 with the reason when TAG cannot
    publish this version (the release workflow's first check); ``version`` prints it."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "check-tag":
        problem = check_tag(args[1])
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        print(f"{args[1]} publishes prodops-sync {__version__}")
        return 0
    if args == ["version"]:
        print(__version__)
        return 0
    print("usage: python -m prodops_sync.project check-tag TAG | version", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
