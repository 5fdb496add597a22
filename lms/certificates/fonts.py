"""A small, pre-subset copy of Noto Serif CJK SC for the certificates.

WeasyPrint subsets the fonts it embeds on every render. With the system's Noto Serif CJK TTC
(26 MB, 65,535 glyphs a face) that costs about 30 ms a face and leaves ~300 KB PDFs, because
the glyph ids of the huge font are kept. So the certificates use their own copy of the two
faces (Regular, Bold) holding only what certificates print: ASCII, common punctuation, all of
GB2312 (the 6,763 hanzi of levels 1 and 2 and its symbols), the template's own text, and any
extra characters met since (rare characters in names, see `faces_for`): about 13,000 glyphs
with the alternates the kept OpenType features (locl…) may substitute, 4.6 MB a face.

The copies live in <instance>/fonts/ (never committed), named by a hash of the source font
file and the character set, so a font upgrade or a new character gives a new file. They are
built with HarfBuzz (libharfbuzz-subset, ~0.1 s a face) or, without it, with fontTools
(~15 s a face). The certificate CSS lists the full system font after the subset family, so a
character missing from the copy is still printed, from the system font.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import logging
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lms.certificates import subset

log = logging.getLogger("lms.certificates")

SOURCE_FAMILY = "Noto Serif CJK SC"
SUBSET_FAMILY = "Noto Serif CJK SC Subset"  # the CSS family; PDFs name it XXXXXX+Noto-Serif-CJK-SC-Subset
STYLES = {"Regular": 400, "Bold": 700}
FILE_PREFIX = "NotoSerifCJKsc"
EXTRA_FILE = "extra-chars.txt"
BUILD_VERSION = "2"  # bump when the subsetting options change
TEMPLATE = Path(__file__).resolve().parent / "templates" / "certificates" / "certificate.html"

_lock = threading.Lock()


@dataclass(frozen=True)
class Source:
    path: Path
    index: int
    style: str


@dataclass(frozen=True)
class Face:
    """One built subset font file, for @font-face."""

    path: Path
    weight: int


def _gb2312() -> set[str]:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            chars.update(bytes((hi, lo)).decode("gb2312", errors="ignore"))
    return chars


@lru_cache(maxsize=1)
def base_charset() -> frozenset[str]:
    chars = _gb2312()
    chars |= {chr(c) for c in range(0x20, 0x7F)}  # ASCII
    chars |= {chr(c) for c in range(0xA0, 0x100)}  # Latin-1 (·, ×, °…)
    chars |= {chr(c) for c in range(0x2010, 0x2027)}  # dashes, quotes, bullets, ellipsis
    chars |= {chr(c) for c in range(0x3000, 0x3040)}  # CJK symbols and punctuation
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}  # full-width forms
    chars |= set(TEMPLATE.read_text(encoding="utf-8"))
    return frozenset(c for c in chars if c.isprintable())


def _fc_list() -> list[Source]:
    try:
        out = subprocess.run(
            ["fc-list", "-f", "%{file}\t%{index}\t%{style}\n", f":family={SOURCE_FAMILY}"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines():
        path, index, styles = (line.split("\t") + ["", ""])[:3]
        for style in STYLES:
            if style in styles.split(","):
                found.append(Source(Path(path), int(index or 0), style))
    return found


@lru_cache(maxsize=1)
def sources() -> dict[str, Source]:
    """The system's Noto Serif CJK SC Regular and Bold faces (fontconfig), by style."""
    found = {}
    for src in sorted(_fc_list(), key=lambda s: (s.path.suffix != ".ttc", str(s.path))):
        found.setdefault(src.style, src)
    return found


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


# --- building -------------------------------------------------------------------------------


def _builder() -> str:
    return "harfbuzz" if harfbuzz_subset_available() else "fonttools"


def _key(src: Source, chars: frozenset[str], builder: str) -> str:
    st = src.path.stat()
    h = hashlib.sha256()
    h.update(f"{BUILD_VERSION}|{builder}|{src.path}|{src.index}|{st.st_size}|{st.st_mtime_ns}|".encode())
    h.update(",".join(subset.HORIZONTAL_FEATURES + subset.DROPPED_TABLES).encode())
    h.update("".join(sorted(chars)).encode())
    return h.hexdigest()[:16]


def _build(src: Source, chars: frozenset[str], dest: Path, builder: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    data = (subset.harfbuzz if builder == "harfbuzz" else subset.fonttools)(src.path, src.index, chars)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".building-", suffix=".otf")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)  # atomic: another process never sees half a font


# --- the cache ------------------------------------------------------------------------------


def _stamp(font_dir: Path) -> tuple[int, int, int] | None:
    """Identifies the extra-characters file's version (it is always replaced, never edited)."""
    try:
        st = (font_dir / EXTRA_FILE).stat()
    except OSError:  # missing (or font_dir unusable: ensure() reports that)
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def read_extra(font_dir: Path) -> frozenset[str]:
    try:
        text = (font_dir / EXTRA_FILE).read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(c for c in text if c.isprintable() and not c.isspace())


def _write_extra(font_dir: Path, chars: frozenset[str]) -> None:
    font_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=font_dir, prefix=".extra-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("".join(sorted(chars)) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, font_dir / EXTRA_FILE)


@lru_cache(maxsize=8)
def _charset(font_dir: Path, stamp: tuple | None) -> frozenset[str]:
    return base_charset() | read_extra(font_dir)


def charset(font_dir: Path) -> frozenset[str]:
    """What the subset covers: the base set and the extra characters remembered in font_dir."""
    return _charset(font_dir, _stamp(font_dir))


_faces: dict[tuple[Path, tuple | None], tuple[Face, ...]] = {}


def ensure(font_dir: Path, *, extra: frozenset[str] = frozenset()) -> tuple[Face, ...]:
    """The subset faces for the current character set (+ `extra`, remembered), built if missing.

    Returns () when the system font is not installed or the directory cannot be written: the
    CSS then falls back to the full system font (slower, same look).
    """
    srcs = sources()
    if not srcs:
        return ()
    with _lock:
        try:
            return _ensure(font_dir, srcs, extra)
        except OSError as exc:
            if font_dir not in _failed:
                _failed.add(font_dir)
                log.warning("cannot build the certificate fonts in %s (%s): using the full system font", font_dir, exc)
            return ()


_failed: set[Path] = set()


def _ensure(font_dir: Path, srcs: dict[str, Source], extra: frozenset[str]) -> tuple[Face, ...]:
    if extra - charset(font_dir):
        _write_extra(font_dir, read_extra(font_dir) | extra)
    memo_key = (font_dir, _stamp(font_dir))
    faces = _faces.get(memo_key)
    if faces and all(f.path.exists() for f in faces):
        return faces
    chars, builder, built = charset(font_dir), _builder(), []
    for style, src in srcs.items():
        dest = font_dir / f"{FILE_PREFIX}-{style}-{_key(src, chars, builder)}.otf"
        if not dest.exists():
            log.info("building certificate font %s (%d characters, %s)", dest.name, len(chars), builder)
            _build(src, chars, dest, builder)
        built.append(Face(dest, STYLES[style]))
    _faces[memo_key] = faces = tuple(built)
    return faces


def faces_for(font_dir: Path, text: str) -> tuple[Face, ...]:
    """The faces to print `text` with. A character not in the subset is added to it (and
    remembered) when HarfBuzz makes that cheap; otherwise the system font prints it."""
    missing = frozenset(c for c in text if c.isprintable() and not c.isspace()) - charset(font_dir)
    if missing and harfbuzz_subset_available():
        return ensure(font_dir, extra=missing)
    if missing:
        log.info("characters %s are printed from the full system font", "".join(sorted(missing)))
    return ensure(font_dir)


def prune(font_dir: Path, keep: tuple[Face, ...]) -> list[Path]:
    """Remove subset files of older character sets or fonts (for the CLI)."""
    keep_paths = {f.path for f in keep}
    removed = []
    for path in font_dir.glob(f"{FILE_PREFIX}-*.otf"):
        if path not in keep_paths:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
