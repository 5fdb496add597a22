"""学习心得 pages and endpoints: the lesson page's writing panel (JSON autosave, submit, withdraw),
the member's own list by year, and a secretary's read-only view of a member in scope."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms import clock
from lms.auth.decorators import json_login_required
from lms.content.reflection import reflection_prompts
from lms.db import get_session
from lms.formatting import local_dt
from lms.hooks import panel
from lms.notes import bp, services
from lms.orgs import services as orgs
from lms.web import manager_scope, year_arg


def _state(answer) -> dict:
    if answer is None:
        return {"state": "empty", "body": ""}
    return {
        "state": answer.status,
        "body": answer.body,
        "submitted_at": local_dt(answer.submitted_at),
    }


def _change(action):
    """Run one write on the caller's answer to (lesson, item); JSON in, JSON out."""
    session = get_session()
    lesson_id, item = request.view_args["lesson_id"], request.view_args["item"]
    for tries in (1, 2):  # two first saves racing on PostgreSQL: the loser retries as an update
        try:
            t = services.target(session=session, lesson_id=lesson_id, item=item)
            answer = action(session, t)
            session.commit()
            break
        except services.NoteError as exc:
            session.rollback()
            return jsonify(ok=False, message=exc.message), exc.status
        except IntegrityError:
            session.rollback()
            if tries == 2:
                raise
    return jsonify(ok=True, saved_at=clock.local_now().strftime("%H:%M:%S"), **_state(answer))


@bp.post("/lessons/<int:lesson_id>/<int:item>/draft")
@json_login_required
def save_draft(lesson_id: int, item: int):
    text = request.form.get("body", "")
    return _change(lambda s, t: services.save_draft(session=s, user_id=current_user.id, t=t, text=text,
                                                    now=clock.now()))


@bp.post("/lessons/<int:lesson_id>/<int:item>/submit")
@json_login_required
def submit(lesson_id: int, item: int):
    text = request.form.get("body", "")
    return _change(lambda s, t: services.submit(session=s, user_id=current_user.id, t=t, text=text,
                                                now=clock.now()))


@bp.post("/lessons/<int:lesson_id>/<int:item>/withdraw")
@json_login_required
def withdraw(lesson_id: int, item: int):
    return _change(lambda s, t: services.withdraw(session=s, user_id=current_user.id, t=t, now=clock.now()))


# ---------------------------------------------------------------- the lists


@bp.get("/")
@login_required
def mine():
    session = get_session()
    year = year_arg()
    return render_template(
        "notes/mine.html", year=year, member=current_user, own=True,
        courses=services.year_answers(session=session, user_id=current_user.id, year=year, submitted_only=False),
        years=services.answer_years(session=session, user_id=current_user.id, submitted_only=False,
                                    current=clock.today().year),
    )


@bp.get("/members/<int:user_id>")
@login_required
def member(user_id: int):
    session, scope = manager_scope()
    member = services.member_in_scope(session=session, scope=scope, user_id=user_id)
    org = orgs.get_org(session=session, scope=scope, org_id=member.org_id)
    year = year_arg()
    return render_template(
        "notes/member.html", year=year, member=member, org=org, own=False,
        courses=services.year_answers(session=session, user_id=member.id, year=year, submitted_only=True,
                                      scope=scope),
        years=services.answer_years(session=session, user_id=member.id, submitted_only=True,
                                    current=clock.today().year),
    )


# ---------------------------------------------------------------- panels on other slices' pages


@panel(bp, "lesson.after", order=40)  # right after the lesson text (whose last section is 思考题), before the quiz
def writing_panel(*, user, lesson, **_):
    prompts = reflection_prompts(lesson.body_md)
    if not prompts:
        return None
    answers = services.lesson_answers(session=get_session(), user_id=user.id, lesson_id=lesson.id)
    items = [{"no": no, "prompt": prompt, "answer": answers.get(no)} for no, prompt in enumerate(prompts, 1)]
    return "notes/_writing.html", {"lesson": lesson, "items": items, "max_chars": services.MAX_CHARS,
                                   "user_id": user.id}


@panel(bp, "member.extra", order=60)
def member_notes(*, member, **_):
    year = clock.today().year
    count = services.submitted_count(session=get_session(), user_id=member.id, year=year)
    return "notes/_member_extra.html", {"member": member, "year": year, "count": count}
