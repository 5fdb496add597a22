"""lms/exports.py: the rule every CSV/XLSX download applies to text cells."""

from __future__ import annotations

import pytest

from lms.exports import safe_cell, safe_row


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-A1+1", "@SUM(A1)",
                                   "\t=1", "\r=1"])
def test_formula_like_text_becomes_text(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "D0001", "13800000000", "-1.5", "+3", "-12", "", None, 12, -3.5, "a=b"])
def test_everything_else_is_left_alone(value):
    assert safe_cell(value) == value


def test_row():
    assert safe_row(["=1+1", "党员", 3]) == ["'=1+1", "党员", 3]
