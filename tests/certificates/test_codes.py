from __future__ import annotations

import re

from lms.certificates import codes
from lms.certificates.services import mask_name


def test_codes_have_at_least_80_bits_and_no_ambiguous_characters():
    assert codes.ENTROPY_BITS >= 80
    assert not set("01OILU") & set(codes.ALPHABET)
    seen = {codes.new_code() for _ in range(2000)}
    assert len(seen) == 2000
    for code in list(seen)[:50]:
        assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}-[A-Z2-9]{2}", codes.group(code))


def test_typed_codes_are_normalised_before_lookup():
    code = codes.new_code()
    grouped = codes.group(code)
    assert codes.normalise(grouped) == code
    assert codes.normalise(grouped.lower()) == code
    assert codes.normalise(" " + grouped.replace("-", " ") + " ") == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)  # typed with a Chinese IME
    assert codes.normalise(full_width) == code
    assert codes.normalise(grouped.replace("-", "—")) == code


def test_impossible_codes_are_rejected():
    assert codes.normalise("") is None
    assert codes.normalise("ABCD") is None
    assert codes.normalise("0" * 18) is None  # 0 is never issued
    assert codes.normalise("<script>alert(1)</script>") is None


def test_names_are_masked():
    assert mask_name("张晓明") == "张*明"
    assert mask_name("张明") == "张*"
    assert mask_name("欧阳晓明") == "欧**明"
    assert mask_name("王") == "王"
