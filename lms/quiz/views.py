from __future__ import annotations

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms import clock, progress
from lms.auth.decorators import json_login_required
from lms.content import services as content
from lms.content.models import Course, Lesson
from lms.content.render import section_anchor
from lms.db import get_session, writes
from lms.hooks import panel
from lms.quiz import answering, attempts, bank, bp, stats, summaries
from lms.quiz.models import Attempt
from lms.web import manager_scope, require_manager


def _attempt_url(attempt: Attempt) -> str:
    return url_for("quiz.attempt", attempt_id=attempt.id)


def _context(session, attempt: Attempt):
    course = session.get(Course, attempt.course_id)
    lesson = session.get(Lesson, attempt.lesson_id) if attempt.lesson_id else None
    return course, lesson


def _form_answers() -> dict[int, list[str]]:
    """{question id: [values]} from fields named q_<question id>; anything else named q_… is refused."""
    answers: dict[int, list[str]] = {}
    for key in request.form:
        if not key.startswith("q_"):
            continue
        raw = key[2:]
        if not (raw.isascii() and raw.isdigit()):
            raise attempts.QuizError("提交的题目不属于本次答题，请刷新页面后重新作答。")
        answers[int(raw)] = request.form.getlist(key)
    return answers


# --- starting --------------------------------------------------------------------------------


@bp.route("/lesson/<slug>/<lesson_slug>/start", methods=["POST"])
@login_required
def start_lesson(slug: str, lesson_slug: str):
    session = get_session()
    course = content.get_course(session=session, slug=slug)
    lesson = content.get_lesson(session=session, course=course, slug=lesson_slug)
    try:
        attempt = attempts.start_lesson_attempt(
            session=session, user_id=current_user.id, lesson=lesson, course=course, now=clock.now()
        )
        session.commit()
    except attempts.QuizError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("content.lesson", slug=slug, lesson_slug=lesson_slug))
    except IntegrityError:  # a concurrent start by the same member: use the attempt it made
        session.rollback()
        return redirect(url_for("content.lesson", slug=slug, lesson_slug=lesson_slug))
    return redirect(_attempt_url(attempt))


@bp.route("/exam/<slug>/start", methods=["POST"])
@login_required
def start_exam(slug: str):
    session = get_session()
    course = content.get_course(session=session, slug=slug)
    try:
        attempt = attempts.start_exam_attempt(session=session, user_id=current_user.id, course=course, now=clock.now())
        session.commit()
    except attempts.QuizError as exc:
        # Only a legitimate change can be pending here: grading an attempt whose time ran out.
        session.commit()
        flash(exc.message, "error")
        return redirect(url_for("content.course", slug=slug) + "#exam")
    except IntegrityError:
        session.rollback()
        flash("考试已经开始，请勿重复点击。", "info")
        return redirect(url_for("content.course", slug=slug) + "#exam")
    return redirect(_attempt_url(attempt))


# --- taking and reviewing -------------------------------------------------------------------


def _render_attempt(session, attempt: Attempt, *, typed: dict[int, list[str]] | None = None,
                    error: str | None = None, status: int = 200):
    course, lesson = _context(session, attempt)
    items = attempts.attempt_items(session=session, attempt=attempt)
    now = clock.now()
    remaining = int((attempt.deadline_at - now).total_seconds()) if attempt.deadline_at else None
    selected = {
        i.question.id: set(typed[i.question.id]) if typed and i.question.id in typed else i.saved_values()
        for i in items
    }
    return render_template(
        "quiz/attempt.html", attempt=attempt, course=course, lesson=lesson, items=items, selected=selected,
        remaining=max(0, remaining) if remaining is not None else None, error=error,
    ), status


@bp.route("/attempts/<int:attempt_id>")
@login_required
@writes
def attempt(attempt_id: int):
    session = get_session()
    attempt = attempts.get_attempt(session=session, user_id=current_user.id, attempt_id=attempt_id)
    if attempts.close_if_expired(session=session, attempt=attempt, now=clock.now()):
        session.commit()
        flash("考试时间已到，试卷已按截止前保存的答案评分。", "info")
    if attempt.submitted_at is None:
        return _render_attempt(session, attempt)
    return _render_review(session, attempt)


def _render_review(session, attempt: Attempt):
    course, lesson = _context(session, attempt)
    items = attempts.attempt_items(session=session, attempt=attempt)
    if attempt.kind == "exam":
        summary = summaries.exam_summary(session=session, user_id=current_user.id, course=course, now=clock.now())
        reveal = summary.reveal
    else:
        summary = summaries.lesson_summary(session=session, user_id=current_user.id, lesson=lesson, course=course)
        reveal = True
    lessons = {}
    if reveal:
        ids = {i.question.lesson_id for i in items}
        lessons = {le.id: le for le in content.course_lessons(session=session, course_ids=[course.id])[course.id]
                   if le.id in ids}

    def section_url(item):
        le = lessons.get(item.question.lesson_id)
        if le is None:
            return None
        return url_for("content.lesson", slug=course.slug, lesson_slug=le.slug) + "#" + section_anchor(item.question.section)

    return render_template(
        "quiz/review.html", attempt=attempt, course=course, lesson=lesson, items=items, reveal=reveal,
        summary=summary, section_url=section_url, lessons=lessons,
    )


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    session = get_session()
    attempt = attempts.get_attempt(session=session, user_id=current_user.id, attempt_id=attempt_id, lock=True)
    now = clock.now()
    if attempts.close_if_expired(session=session, attempt=attempt, now=now):
        session.commit()
        flash("考试时间已到，截止后提交的答案不予接受；试卷已按截止前保存的答案评分。", "error")
        return redirect(_attempt_url(attempt))
    typed = None
    try:
        typed = _form_answers()
        answering.submit(session=session, attempt=attempt, answers=typed, now=now)
    except attempts.QuizError as exc:
        if isinstance(exc, answering.Incomplete) and exc.saved:
            session.commit()  # the answers that were given are kept (the no-JS fallback of autosave)
        else:
            session.rollback()
        if exc.status == 409:  # already submitted
            flash(exc.message, "error")
            return redirect(_attempt_url(attempt))
        attempt = attempts.get_attempt(session=session, user_id=current_user.id, attempt_id=attempt_id)
        return _render_attempt(session, attempt, typed=typed, error=exc.message, status=400)
    session.commit()
    if attempt.passed:
        flash(f"已交卷：得分 {attempt.score} 分，通过！" + _still_missing(session, attempt), "success")
    else:
        flash(f"已交卷：得分 {attempt.score} 分，未达到 {attempt.pass_score} 分的合格线。", "error")
    return redirect(_attempt_url(attempt))


def _still_missing(session, attempt) -> str:
    """After a passed lesson quiz: the study time the lesson still needs, if any (issue 12)."""
    if attempt.kind != "lesson" or attempt.lesson_id is None:
        return ""
    lesson = session.get(Lesson, attempt.lesson_id)
    missing = progress.missing_study_seconds(session=session, user_id=current_user.id, lesson=lesson)
    if missing <= 0:
        return "本课已完成。"
    return f"还需在本课页面学习 {-(-missing // 60)} 分钟即完成本课。"


@bp.route("/attempts/<int:attempt_id>/answer", methods=["POST"])
@json_login_required
def save_answer(attempt_id: int):
    """Save one answer (exam.js posts every change). JSON in, JSON out."""
    session = get_session()
    attempt = attempts.get_attempt(session=session, user_id=current_user.id, attempt_id=attempt_id, lock=True)
    now = clock.now()
    if attempts.close_if_expired(session=session, attempt=attempt, now=now):
        session.commit()
        return jsonify(ok=False, expired=True, message="考试时间已到，该答案未被保存；试卷已按截止前保存的答案评分。"), 409
    raw = request.form.get("question", "")
    try:
        if not (raw.isascii() and raw.isdigit()):
            raise attempts.QuizError("该题不属于本次答题，请刷新页面后重新作答。")
        item = answering.save_answer(
            session=session, attempt=attempt, question_id=int(raw), values=request.form.getlist("value"), now=now
        )
    except attempts.QuizError as exc:
        session.rollback()
        return jsonify(ok=False, message=exc.message), exc.status
    session.commit()
    return jsonify(ok=True, message=f"第 {item.number} 题已保存", saved_at=clock.local_now().strftime("%H:%M:%S"))


# --- cards on the content pages ---------------------------------------------------------------


@panel(bp, "lesson.after")
def lesson_card(*, user, course: Course, lesson: Lesson, **_):
    quiz = summaries.lesson_summary(session=get_session(), user_id=user.id, lesson=lesson, course=course)
    return "quiz/_lesson_card.html", {"quiz": quiz, "course": course, "lesson": lesson}


@panel(bp, "course.extra", order=10)
def exam_card(*, user, course: Course, **_):
    exam = summaries.exam_summary(session=get_session(), user_id=user.id, course=course, now=clock.now())
    if not exam.enabled:
        return None
    return "quiz/_exam_card.html", {"exam": exam, "course": course, "done_at": _completed_at(user, course.id)}


@panel(bp, "dashboard.course_status")
def course_status(*, user, progress, **_):
    return "quiz/_course_status.html", {"p": progress, "done_at": _completed_at(user, progress.course.id)}


def _completed_at(user, course_id: int):
    if "_quiz_completed" not in g:  # once per request, however many courses the page shows
        g._quiz_completed = progress.completed_courses(session=get_session(), user_id=user.id)
    return g._quiz_completed.get(course_id)


# --- statistics for secretaries and admins -----------------------------------------------------


@bp.route("/stats")
@login_required
def stats_index():
    session = require_manager()
    return render_template("quiz/stats_index.html", courses=content.active_courses(session=session))


@bp.route("/stats/<slug>")
@login_required
def stats_course(slug: str):
    session, scope = manager_scope()
    course = content.get_course(session=session, slug=slug)
    questions = stats.question_stats(session=session, scope=scope, course=course)
    members = stats.member_stats(session=session, scope=scope, course=course)
    lesson_count = len(bank.required_lessons(session=session, course_id=course.id))
    return render_template(
        "quiz/stats_course.html", course=course, questions=questions, members=members, lesson_count=lesson_count
    )
