from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from lms import clock, progress
from lms.content import bp, services
from lms.content.render import render_markdown
from lms.db import get_session, writes
from lms.hooks import collect_panels


@bp.route("/")
@login_required
def dashboard():
    session = get_session()
    courses = services.active_courses(session=session)
    lessons = services.course_lessons(session=session, course_ids=[c.id for c in courses])
    rows = progress.progress_for(session=session, user_id=current_user.id, courses=courses, lessons=lessons)
    resume = services.last_visited(session=session, user_id=current_user.id)
    collect_panels("dashboard.summary", user=current_user)
    for p in rows:
        collect_panels("dashboard.course_status", key=p.course.id, user=current_user, progress=p)
    return render_template("content/dashboard.html", progress=rows, resume=resume)


@bp.route("/courses/<slug>")
@login_required
def course(slug: str):
    session = get_session()
    course = services.get_course(session=session, slug=slug)
    lessons = services.course_lessons(session=session, course_ids=[course.id])
    (course_progress,) = progress.progress_for(session=session, user_id=current_user.id, courses=[course],
                                               lessons=lessons)
    intro = render_markdown(course.body_md)
    collect_panels("course.extra", user=current_user, course=course, progress=course_progress)
    estimates = services.estimated_minutes_for(session=session, lessons=lessons[course.id])
    return render_template("content/course.html", course=course, progress=course_progress, intro=intro,
                           estimates=estimates)


@bp.route("/courses/<slug>/<lesson_slug>")
@login_required
@writes
def lesson(slug: str, lesson_slug: str):
    session = get_session()
    course = services.get_course(session=session, slug=slug)
    lesson = services.get_lesson(session=session, course=course, slug=lesson_slug)
    siblings = services.course_lessons(session=session, course_ids=[course.id])[course.id]
    idx = next(i for i, s in enumerate(siblings) if s.id == lesson.id)
    prev_lesson = siblings[idx - 1] if idx > 0 else None
    next_lesson = siblings[idx + 1] if idx + 1 < len(siblings) else None
    services.record_visit(session=session, user_id=current_user.id, lesson_id=lesson.id, at=clock.now())
    session.commit()
    rendered = render_markdown(lesson.body_md)
    collect_panels("lesson.status", user=current_user, course=course, lesson=lesson)
    collect_panels("lesson.after", user=current_user, course=course, lesson=lesson)
    return render_template(
        "content/lesson.html",
        course=course,
        lesson=lesson,
        rendered=rendered,
        prev_lesson=prev_lesson,
        next_lesson=next_lesson,
        position=idx + 1,
        count=len(siblings),
    )
