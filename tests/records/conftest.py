"""学习档案 fixtures: a member with data of every kind over two years, through the real services."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from datetime import UTC, date, datetime, time

import pytest
from sqlmodel import select

from lms import clock


@pytest.fixture(scope="session")
def cert_font_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("record-fonts")


@pytest.fixture
def app_config(app_config, cert_font_dir):
    return {**app_config, "CERT_FONT_DIR": str(cert_font_dir)}


def pdf_text(pdf: bytes, tmp_path, name: str = "r.pdf") -> str:
    f = tmp_path / name
    f.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(f), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"[ \t]+", " ", out)


def zip_names(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


class Full:
    """What the member m1 of `tree` did, for the assertions."""

    course_title: str
    exam_score: int
    cert_serial: str
    cert_code: str
    note_prompt: str
    note_lesson: str


@pytest.fixture
def full(app, db, tree, synced):
    """m1 of `tree`: in 2025 a 集中学习 session, an approved self-report and an 调整; in 2026 a course
    completed with its exam, its certificate, a submitted 学习心得, a session and a self-report."""
    from lms.access import scope_for
    from lms.auth.models import User
    from lms.certificates import services as certs
    from lms.content.models import Course, Lesson
    from lms.content.reflection import reflection_prompts
    from lms.hours import selfreports
    from lms.notes import services as notes
    from lms.offline import services as offline
    from lms.orgs.models import Organization
    from lms.quiz import answering, attempts
    from tests.quiz.helpers import COURSE, pass_all_lessons, right_values, wrong_values

    out = Full()
    m1, sec1, admin = tree["m1"], tree["sec1"], tree["admin"]
    with app.app_context():
        # --- 2025
        clock.freeze(datetime(2025, 11, 20, 2, 0, tzinfo=UTC))
        with db() as s:
            sec = s.get(User, sec1.id)
            offline.record_session(
                session=s, scope=scope_for(session=s, user=sec), actor=sec, org=s.get(Organization, tree["b1"].id),
                data=offline.SessionData(type="党课", topic="学习党章专题党课", held_on=date(2025, 11, 5), minutes=120,
                                         place="会议室", attendee_ids=[m1.id, tree["m1b"].id], start=time(9, 0)),
                today=clock.today(), at=clock.now())
            report = selfreports.submit_report(session=s, user_id=m1.id, study_date=date(2025, 11, 8), minutes=90,
                                               topic="自学《习近平谈治国理政》第四卷", place="家中", today=clock.today())
            selfreports.approve(session=s, report=report, decided_by_id=sec1.id, at=clock.now())
            rejected = selfreports.submit_report(session=s, user_id=m1.id, study_date=date(2025, 11, 9), minutes=60,
                                                 topic="未通过的申报", place="家中", today=clock.today())
            selfreports.reject(session=s, report=rejected, decided_by_id=sec1.id, at=clock.now(), reason="无凭证")
            selfreports.add_adjustment(session=s, member_id=m1.id, minutes=30, reason="补录培训",
                                       local_date=date(2025, 11, 10), recorded_by_id=admin.id, today=clock.today())
        # --- 2026
        clock.freeze(datetime(2026, 5, 4, 2, 0, tzinfo=UTC))
        pass_all_lessons(db, m1.id)
        with db() as s:
            course = s.exec(select(Course).where(Course.slug == COURSE)).one()
            attempt = attempts.start_exam_attempt(session=s, user_id=m1.id, course=course, now=clock.now())
            items = attempts.attempt_items(session=s, attempt=attempt)
            answers = {i.question.id: right_values(i) for i in items}
            answers[items[0].question.id] = wrong_values(items[0])  # one wrong: the best score is not 100
            answering.submit(session=s, attempt=attempt, answers=answers, now=clock.now())
            out.course_title, out.exam_score = course.title, attempt.score
        with db() as s:
            cert = certs.claim(session=s, user=s.get(User, m1.id), kind="course", course_id=course.id, at=clock.now())
            out.cert_serial, out.cert_code = cert.serial, certs.codes.group(cert.code)
        with db() as s:
            lesson = next(lesson for lesson in s.exec(select(Lesson).order_by(Lesson.id))
                          if reflection_prompts(lesson.body_md) and lesson.retired_at is None)
            t = notes.target(session=s, lesson_id=lesson.id, item=1)
            notes.submit(session=s, user_id=m1.id, t=t, text="联系实际谈体会。", now=clock.now())
            out.note_prompt, out.note_lesson = t.prompt, lesson.title
        with db() as s:
            sec = s.get(User, sec1.id)
            offline.record_session(
                session=s, scope=scope_for(session=s, user=sec), actor=sec, org=s.get(Organization, tree["b1"].id),
                data=offline.SessionData(type="主题党日", topic="重温入党誓词", held_on=date(2026, 4, 28), minutes=90,
                                         place="党员活动室", attendee_ids=[m1.id], start=time(14, 0)),
                today=clock.today(), at=clock.now())
            report = selfreports.submit_report(session=s, user_id=m1.id, study_date=date(2026, 4, 30), minutes=45,
                                               topic="观看专题片", place="家中", today=clock.today())
            selfreports.approve(session=s, report=report, decided_by_id=sec1.id, at=clock.now())
    clock.freeze(datetime(2026, 6, 15, 2, 30, tzinfo=UTC))  # 10:30 in Beijing: when the record is produced
    yield out
    clock.unfreeze()


@pytest.fixture
def client_for(app):
    """A new logged-in test client per user (no logout round trips)."""
    from tests.conftest import PASSWORD, csrf_token

    def _make(user):
        c = app.test_client()
        resp = c.post("/login", data={"login": user.login_name, "password": PASSWORD, "csrf_token": csrf_token(c)})
        assert resp.status_code == 302
        return c

    return _make
