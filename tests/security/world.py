"""The fixture world the security suite walks: one 党委 with two 党支部, a secretary per branch,
members, an admin, synced content, self reports, a quiz attempt, 学习心得, certificates, a batch job, audit
events and a kept roster upload.

Everything a user can write is filled with an XSS payload here, so every page the authorization
matrix opens is also checked for unescaped markup. Member numbers double as leak markers: a page
shown to someone outside a member's scope must not contain that member's number.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import select

from lms import clock
from lms.db import cli_session, metadata

PASSWORD = "pass1234"
# The payloads. Names are at most 50 characters, so the long one is split across members.
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&"
NAME_SCRIPT = "<script>alert(1)</script>\"'&"
NAME_IMG = "<img src=x onerror=alert(1)>\"'&"
NAME_FORMULA = '=HYPERLINK("http://evil.example","点此")'

# Member numbers: also the leak markers (unique strings that appear wherever a member is listed).
M1_NO, M1B_NO, M1C_NO, M2_NO = "B1M1-LEAK", "B1M2-LEAK", "B1M3-LEAK", "B2M1-LEAK"
COURSE = "cadre-selection-regulations"
LESSON = "good-cadre-standard"


@dataclass
class World:
    committee: int
    b1: int
    b2: int
    admin: int
    sec1: int
    sec2: int
    m1: int
    m1b: int
    m1c: int
    m2: int
    logins: dict[str, str]  # role → login name
    course: str = COURSE
    lesson: str = LESSON
    lesson_id: int = 0
    report: int = 0  # m1's pending self report
    attempt: int = 0  # m1's open lesson attempt
    question: int = 0  # a question of that attempt
    stretch: int = 0  # m1's study stretch that 学时异常 flags (a presence check answered too fast)
    cert: int = 0  # m1's certificate (this year)
    cert_code: str = ""
    job: int = 0  # sec1's finished batch job
    offline: int = 0  # a 集中学习 session of branch 1, m1 attending, payload topic and place
    offline_pending: int = 0  # sec1's 集中学习 for sec1 alone: awaiting the next level's approval
    upload_token: str = ""  # sec1's kept roster upload (preview done, not confirmed)


def _small_zip(pdf: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("cert.pdf", pdf)
    return out.getvalue()


def build_world(app) -> World:
    from lms.audit import services as audit
    from lms.auth import services as auth
    from lms.certificates import services as certs
    from lms.certificates.models import BatchJob
    from lms.content.loader import load_tree
    from lms.content.models import Course, Lesson
    from lms.content.sync import sync_content
    from lms.hours import selfreports
    from lms.orgs import import_files, roster
    from lms.orgs.services import create_org
    from lms.quiz import attempts as quiz

    with app.app_context():
        with cli_session() as s:
            courses, problems = load_tree(Path(app.config["CONTENT_DIR"]))
            assert not problems, problems
            sync_content(session=s, courses=courses, now=clock.now())

        with cli_session() as s:
            committee = create_org(session=s, name="测试党委", kind="党委")
            b1 = create_org(session=s, name="第一支部", kind="党支部", parent=committee)
            b2 = create_org(session=s, name="第二支部", kind="党支部", parent=committee)

            def user(name, org, role, no):
                return auth.create_user(session=s, name=name, org_id=org.id, password=PASSWORD, role=role,
                                        member_no=no, must_change_password=False)

            admin = user("管理员", committee, "admin", "ADMIN-0001")
            sec1 = user("书记甲", b1, "secretary", "SEC1-0001")
            sec2 = user("书记乙", b2, "secretary", "SEC2-0001")
            m1 = user(NAME_SCRIPT, b1, "member", M1_NO)
            m1b = user(NAME_IMG, b1, "member", M1B_NO)
            m2 = user("党员乙", b2, "member", M2_NO)
            # Added through the roster service: an audit event with the payload in its details.
            m1c, _ = roster.add_member(session=s, actor=admin, org_id=b1.id, name=NAME_FORMULA, member_no=M1C_NO)
            roster.update_member(session=s, actor=sec1, user_id=m1b.id, name=NAME_IMG + "x", member_no=M1B_NO)
            roster.update_member(session=s, actor=sec1, user_id=m1b.id, name=NAME_IMG, member_no=M1B_NO)
            w = World(
                committee=committee.id, b1=b1.id, b2=b2.id, admin=admin.id, sec1=sec1.id, sec2=sec2.id,
                m1=m1.id, m1b=m1b.id, m1c=m1c.id, m2=m2.id,
                logins={"member": M1_NO, "sec": "SEC1-0001", "foreign": "SEC2-0001", "admin": "ADMIN-0001"},
            )

        with cli_session() as s:
            today = clock.today()
            course = s.exec(select(Course).where(Course.slug == COURSE)).one()
            lesson = s.exec(select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == LESSON)).one()
            w.lesson_id = lesson.id
            # Self reports of m1: one pending, one rejected with a payload reason, one approved.
            w.report = selfreports.submit_report(session=s, user_id=m1.id, study_date=today, minutes=30,
                                                 topic=PAYLOAD, place=PAYLOAD, today=today).id
            rejected = selfreports.submit_report(session=s, user_id=m1.id, study_date=today, minutes=20,
                                                 topic=PAYLOAD + "退回", place=PAYLOAD, today=today)
            selfreports.reject(session=s, report=rejected, decided_by_id=sec1.id, at=clock.now(), reason=PAYLOAD)
            approved = selfreports.submit_report(session=s, user_id=m1.id, study_date=today, minutes=10,
                                                 topic=PAYLOAD + "通过", place=PAYLOAD, today=today)
            selfreports.approve(session=s, report=approved, decided_by_id=sec1.id, at=clock.now())
            # Adjustments with a payload reason, enough for this year's certificate (three days:
            # no day may credit more than DAILY_MAX_HOURS).
            for back, hours in ((1, 11), (2, 11), (3, 10)):
                selfreports.add_adjustment(session=s, member_id=m1.id, minutes=hours * 60, reason=PAYLOAD,
                                           local_date=today - timedelta(days=back), recorded_by_id=admin.id,
                                           today=today)
            # A lesson attempt, left open.
            attempt = quiz.start_lesson_attempt(session=s, user_id=m1.id, lesson=lesson, course=course,
                                                now=clock.now())
            w.attempt = attempt.id
            w.question = quiz.attempt_items(session=s, attempt=attempt)[0].question.id
            # A study stretch of m1 that 学时异常 lists (an answer faster than a person reacts).
            from lms.hours.models import StudyStretch

            stretch = StudyStretch(user_id=m1.id, lesson_id=lesson.id, course_id=course.id, ip="127.0.0.1",
                                   started_at=clock.now() - timedelta(minutes=20), ended_at=clock.now(),
                                   credited=1200, presence_fast=1)
            s.add(stretch)
            s.flush()
            w.stretch = stretch.id
            # 学习心得 of m1 with the payload: one submitted (secretaries read it), one draft.
            from lms.notes import services as notes

            for item, write in ((1, notes.submit), (2, notes.save_draft)):
                t = notes.target(session=s, lesson_id=lesson.id, item=item)
                write(session=s, user_id=m1.id, t=t, text=PAYLOAD + M1_NO, now=clock.now())

        with cli_session() as s:
            from lms.auth.models import User

            member = s.get(User, w.m1)
            cert = certs.claim(session=s, user=member, kind="annual", year=clock.today().year, at=clock.now())
            w.cert, w.cert_code = cert.id, cert.code
            job = BatchJob(
                created_by_id=w.sec1, org_id=w.b1, kind="annual", year=cert.year, user_ids=[w.m1], status="done",
                total=1, progress=1, issued=0, certificate_ids=[cert.id], pdf=cert.pdf, zip=_small_zip(cert.pdf),
                created_at=clock.now(), finished_at=clock.now() + timedelta(seconds=1),
            )
            s.add(job)
            s.flush()
            w.job = job.id
            from lms.access import scope_for
            from lms.offline.services import SessionData, record_session
            from lms.orgs.models import Organization

            sec1_user = s.get(User, w.sec1)
            w.offline = record_session(
                session=s, scope=scope_for(session=s, user=sec1_user), actor=sec1_user, org=s.get(Organization, w.b1),
                data=SessionData(type="党课", topic=PAYLOAD, held_on=clock.today(), minutes=90, place=PAYLOAD,
                                 attendee_ids=[w.m1], start=time(0, 0)),
                today=clock.today(), at=clock.now(),
            ).id
            w.offline_pending = record_session(
                session=s, scope=scope_for(session=s, user=sec1_user), actor=sec1_user, org=s.get(Organization, w.b1),
                data=SessionData(type="党课", topic="书记自学", held_on=clock.today(), minutes=30, place="",
                                 attendee_ids=[w.sec1], start=time(12, 0)),
                today=clock.today(), at=clock.now(),
            ).id
            audit.record(session=s, actor=s.get(User, w.admin), action="security.test", target_type="user",
                         target_id=w.m1, org_id=w.b1, summary=PAYLOAD, details={"note": PAYLOAD, "name": NAME_IMG})

        # sec1 previewed an import and has not confirmed it yet.
        csv_data = "姓名,党员编号,手机号,所在支部\r\n导入者,IMP-0001,,第一支部\r\n".encode()
        w.upload_token = import_files.save_upload(
            directory=Path(app.instance_path) / "imports", user_id=w.sec1, filename="名册.csv", data=csv_data
        )
    return w


def fingerprint(app) -> dict[str, str]:
    """A hash of every table's rows: "nothing changed" is an equal fingerprint."""
    out = {}
    with app.app_context(), cli_session() as s:
        conn = s.connection()
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before if before[t] != after.get(t))
