"""Grading of each question type, on the server only."""

from __future__ import annotations

import pytest

from lms.quiz.grading import BadAnswer, is_correct, normalise_blank, parse_answer, score_of


def test_single_maps_the_shuffled_position_back_to_the_letter():
    order = [2, 0, 1, 3]  # displayed A shows option C, B shows A …
    assert parse_answer("single", order, ["0"]) == ["C"]
    assert is_correct("single", ["C"], parse_answer("single", order, ["0"]))
    assert not is_correct("single", ["C"], parse_answer("single", order, ["2"]))


@pytest.mark.parametrize("values", [["4"], ["-1"], ["A"], ["0", "1"], ["x"]])
def test_single_refuses_values_the_page_never_offered(values):
    with pytest.raises(BadAnswer):
        parse_answer("single", [2, 0, 1, 3], values)


def test_multiple_needs_exactly_the_right_set():
    order = [0, 1, 2, 3, 4]
    key = ["A", "B", "C", "E"]
    assert is_correct("multiple", key, parse_answer("multiple", order, ["4", "0", "2", "1"]))
    assert not is_correct("multiple", key, parse_answer("multiple", order, ["0", "1", "2"]))  # one missing
    assert not is_correct("multiple", key, parse_answer("multiple", order, ["0", "1", "2", "3", "4"]))  # one too many
    with pytest.raises(BadAnswer):
        parse_answer("multiple", order, ["0", "0"])


def test_judge():
    assert is_correct("judge", [False], parse_answer("judge", [], ["false"]))
    assert not is_correct("judge", [False], parse_answer("judge", [], ["true"]))
    with pytest.raises(BadAnswer):
        parse_answer("judge", [], ["maybe"])


@pytest.mark.parametrize("typed", ["32", "３２", "  32 ", "\u300032\u3000", "３２　"])
def test_blank_folds_full_width_and_trims(typed):
    assert is_correct("blank", ["32"], parse_answer("blank", [], [typed]))


def test_blank_accepts_any_listed_answer_and_nothing_else():
    key = ["5", "五"]
    assert is_correct("blank", key, ["五"])
    assert is_correct("blank", key, ["５"])
    assert not is_correct("blank", key, ["6"])
    assert normalise_blank(" Ａ　B ") == "a b"


def test_blank_empty_is_unanswered_and_overlong_is_refused():
    assert parse_answer("blank", [], ["   "]) is None
    assert parse_answer("blank", [], []) is None
    assert not is_correct("blank", ["32"], None)
    with pytest.raises(BadAnswer):
        parse_answer("blank", [], ["字" * 101])


def test_score_is_rounded_down_so_the_pass_mark_is_real():
    assert score_of(7, 9) == 77
    assert score_of(4, 5) == 80
    assert score_of(0, 0) == 0
