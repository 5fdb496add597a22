"""Answering an open attempt: saving one answer as it is given (the exam page) and the final submit."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from lms import question_types
from lms.quiz import grading
from lms.quiz.attempts import Item, QuizError, attempt_items, claim, grade, is_expired
from lms.quiz.models import Attempt


def _refuse_if_closed(attempt: Attempt, now: datetime) -> None:
    if attempt.submitted_at is not None:
        raise QuizError("本次答题已经交卷，不能重复提交或修改答案。", 409)
    if is_expired(attempt, now):
        raise QuizError("考试时间已到，截止后提交的答案不予接受。", 409)


def _parse(item: Item, values: list[str]) -> list | None:
    try:
        return grading.parse_answer(item.question.type, item.aq.option_order, values)
    except grading.BadAnswer as exc:
        raise QuizError(f"第 {item.number} 题：{exc}。请刷新页面后重新作答。") from exc


def save_answer(*, session: Session, attempt: Attempt, question_id: int, values: list[str], now: datetime) -> Item:
    """Save one answer as it is given (the exam page does this for every change)."""
    _refuse_if_closed(attempt, now)
    items = {i.question.id: i for i in attempt_items(session=session, attempt=attempt)}
    item = items.get(question_id)
    if item is None:
        raise QuizError("该题不属于本次答题，请刷新页面后重新作答。")
    answer = _parse(item, values)
    if answer is None:
        kind = question_types.get(item.question.type)
        raise QuizError(f"第 {item.number} 题：" + (kind.empty_message if kind else "请先选择答案。"))
    item.aq.answer = answer
    item.aq.answered_at = now
    session.add(item.aq)
    session.flush()
    return item


class Incomplete(QuizError):
    """Some questions have no answer. The page shows again what was typed, and the answers that
    were given are kept (saved), in an exam and in a lesson quiz alike."""

    def __init__(self, numbers: list[int], saved: bool = False):
        self.numbers = numbers
        self.saved = saved
        super().__init__("还有题目没有作答：第 " + "、".join(map(str, numbers)) + " 题。请全部作答后再交卷。")


def submit(*, session: Session, attempt: Attempt, answers: dict[int, list[str]], now: datetime) -> Attempt:
    """Save the answers sent with the final submit and grade the attempt, once."""
    _refuse_if_closed(attempt, now)
    items = attempt_items(session=session, attempt=attempt)
    by_id = {i.question.id: i for i in items}
    if any(qid not in by_id for qid in answers):
        raise QuizError("提交的题目不属于本次答题，请刷新页面后重新作答。")
    given = {qid: _parse(by_id[qid], values) for qid, values in answers.items()}
    merged = {i.question.id: given.get(i.question.id) or i.aq.answer for i in items}
    missing = [i.number for i in items if not merged[i.question.id]]
    if missing:
        _store(session, items, given, now)
        raise Incomplete(missing, saved=True)
    if not claim(session, attempt, now):
        raise QuizError("本次答题已经交卷，不能重复提交。", 409)
    _store(session, items, given, now)
    grade(session, attempt, items)
    return attempt


def _store(session: Session, items: list[Item], given: dict[int, list | None], now: datetime) -> None:
    for item in items:
        new = given.get(item.question.id)
        if new and new != item.aq.answer:
            item.aq.answer = new
            item.aq.answered_at = now
            session.add(item.aq)
    session.flush()
