"""Which certificate template a PDF was rendered with: a short hash of the files that shape the page.

The version is the first 16 hex digits of the SHA-256 over the template, its stylesheet and the
artwork (each file's name and bytes, in a fixed order), so any edit to how a certificate looks gives a
new version and an unchanged layout keeps its version across deployments. It is stored with every
certificate at issue time (Certificate.template_version); the stored PDF never changes afterwards.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_FILES = (
    PACKAGE_DIR / "templates" / "certificates" / "certificate.html",
    PACKAGE_DIR / "templates" / "certificates" / "certificate.css",
)
ARTWORK_DIR = PACKAGE_DIR / "static" / "cert"


def files() -> list[Path]:
    """The files whose bytes make the version: the template, its CSS, then the artwork by name."""
    return [*TEMPLATE_FILES, *sorted(ARTWORK_DIR.glob("*.svg"))]


def compute(paths: list[Path] | None = None) -> str:
    digest = hashlib.sha256()
    for path in paths if paths is not None else files():
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


@cache
def current() -> str:
    """The version of the files this process runs with (read once: templates ship with the code)."""
    return compute()
