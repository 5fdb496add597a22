"""Verification codes: 90 bits from `secrets`, read aloud in groups, no ambiguous characters.

The alphabet is Crockford's base 32 without 0, 1 (and, like Crockford, without I, L, O, U):
30 symbols, 18 of them give log2(30**18) ≈ 88 bits. Shown as XXXX-XXXX-XXXX-XXXX-XX.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 18
GROUP = 4
ENTROPY_BITS = LENGTH * math.log2(len(ALPHABET))  # ≈ 88.3

# What people type instead of the symbol they read: full-width forms are folded by NFKC.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_.·・、,，]+")


def new_code() -> str:
    """A fresh code in its canonical (ungrouped) form."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def group(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str | None:
    """The canonical form of what someone typed or scanned, or None when it cannot be a code.

    Case, spaces, dashes and full-width characters do not matter. Characters that are not in
    the alphabet (0, 1, I, L, O, U) are never issued, so they are rejected, not guessed at.
    """
    text = unicodedata.normalize("NFKC", text or "").upper()
    text = _SEPARATORS.sub("", text)
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def digest(code: str) -> str:
    """The stored lookup key of a canonical code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def matches(stored_digest: str, code: str) -> bool:
    return hmac.compare_digest(stored_digest, digest(code))
