"""The bot from issue 13, replayed: it logs in and farms 学时 with no one at the page.

- Bot "no page": calls POST /hours/start without loading the lesson page (retrying when refused),
  beats every 30 s and answers each 防挂机 check 5 ms after the beat that raised it. Before the
  study ticket it was credited 96–100 % of the elapsed time; now it is credited nothing, and its
  refused starts are 学时异常 evidence.
- Bot "page, instant": loads each lesson page (so it holds a ticket) and otherwise does the same.
  Its 5 ms answers are not presence, so crediting pauses at the first check; it is flagged for
  the fast answers and for its clockwork beats.
- Bot "page, 1 s": as the last, but waits 1 s before answering: it is credited, and still
  flagged for its clockwork beats (no client-side measure stops a determined script; the server
  keeps the evidence).

The clock is moved, never slept. The reviewer is the bots' branch secretary on /integrity/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from lms import clock
from tests.conftest import csrf_token

HOURS = 2  # of the bot's run


@pytest.fixture
def app_config(app_config):
    # The default tracker settings (30 s beats, a check after 15–25 min, 60 s to answer, 800 ms).
    return app_config


@dataclass
class Bot:
    client: object
    lessons: list[tuple[int, str]]  # (id, page path), in course order
    page: bool  # does it load the lesson page?
    answer_after_ms: int
    index: int = 0
    token: str | None = None
    csrf: str = ""
    states: list[str] = field(default_factory=list)

    def start(self) -> None:
        lesson_id, path = self.lessons[self.index % len(self.lessons)]
        data = {"lesson_id": lesson_id}
        if self.page:
            html = self.client.get(path).get_data(as_text=True)
            self.csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
            data["ticket"] = re.search(r'data-ticket="([^"]+)"', html).group(1)
        resp = self.client.post("/hours/start", data=data, headers={"X-CSRFToken": self.csrf})
        body = resp.get_json(silent=True) or {}
        self.states.append(f"start:{body.get('state', resp.status_code)}")
        self.token = body.get("token")

    def run(self, seconds: int) -> None:
        self.csrf = self.csrf or csrf_token(self.client, "/")
        end = clock.now().timestamp() + seconds
        self.start()
        while clock.now().timestamp() < end:
            clock.advance(seconds=30)
            if self.token is None:  # refused: try again, as a script does
                self.start()
                continue
            body = self.client.post("/hours/beat", data={"token": self.token},
                                    headers={"X-CSRFToken": self.csrf}).get_json()
            self.states.append(body["state"])
            if body.get("check"):
                clock.advance(milliseconds=self.answer_after_ms)
                answer = self.client.post("/hours/presence", data={"token": self.token,
                                                                   "answer": body["check"]["number"]},
                                          headers={"X-CSRFToken": self.csrf}).get_json()
                self.states.append(f"answer:{answer['state']}")
                clock.advance(milliseconds=-self.answer_after_ms)  # the script's beat loop keeps its rhythm
            if body["state"] == "capped":  # on to the next lesson
                self.index += 1
                self.start()


def credited(db, user_id) -> int:
    from lms.hours.models import LedgerEntry

    with db() as s:
        return sum(s.exec(select(LedgerEntry.seconds).where(LedgerEntry.user_id == user_id)))


@pytest.fixture
def lessons(synced, db):
    from lms.content.models import Course, Lesson

    with db() as s:
        rows = s.exec(select(Lesson.id, Course.slug, Lesson.slug).join(Course, Course.id == Lesson.course_id)
                      .where(Lesson.retired_at.is_(None)).order_by(Course.id, Lesson.order)).all()
    return [(lid, f"/courses/{c}/{slug}") for lid, c, slug in rows]


def run_bot(app, user, lessons, *, page: bool, answer_after_ms: int) -> Bot:
    client = app.test_client()
    resp = client.post("/login", data={"login": user.login_name, "password": "pass1234",
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    bot = Bot(client, lessons, page=page, answer_after_ms=answer_after_ms)
    bot.run(HOURS * 3600)
    if page:
        bot.start()  # it opens one more lesson: the session it studied in is kept as a stretch
    return bot


def reviewed(client, login, secretary) -> str:
    login(secretary)
    return client.get("/integrity/").get_data(as_text=True)


def section_of(page: str, user_id: int) -> str:
    m = re.search(rf'<section class="card review-item" id="member-{user_id}".*?</section>', page, re.S)
    return m.group(0) if m else ""


def test_the_bot_without_the_page_is_credited_nothing_and_flagged(app, client, db, login, tree, lessons):
    bot_user = tree["m1"]
    clock.freeze(clock.now().replace(hour=1, minute=0, second=0, microsecond=0))  # 09:00 in Beijing
    bot = run_bot(app, bot_user, lessons, page=False, answer_after_ms=5)
    assert credited(db, bot_user.id) == 0
    assert all(s in ("start:no_ticket", "start:429") for s in bot.states)
    section = section_of(reviewed(client, login, tree["sec1"]), bot_user.id)
    assert "未打开课程页即开始计时" in section and "没有课程页凭证" in section


def test_the_bot_that_loads_the_page_and_answers_at_once_is_paused_and_flagged(app, client, db, login, tree,
                                                                                 lessons):
    bot_user = tree["m1"]
    clock.freeze(clock.now().replace(hour=1, minute=0, second=0, microsecond=0))
    bot = run_bot(app, bot_user, lessons, page=True, answer_after_ms=5)
    fraction = credited(db, bot_user.id) / (HOURS * 3600)
    # Credited until the first check (15–25 min of study, delivered at a random beat) and its
    # 60 s grace; its 5 ms answers are refused, so the check stays pending and crediting pauses.
    assert 0 < fraction < 0.3, fraction
    assert "answer:check_too_fast" in bot.states and "paused_presence" in bot.states
    assert "answer:studying" not in bot.states
    section = section_of(reviewed(client, login, tree["sec1"]), bot_user.id)
    assert "防挂机确认点击过快" in section and "计时心跳机械般整齐" in section


def test_a_bot_that_waits_before_answering_is_credited_but_flagged(app, client, db, login, tree, lessons):
    bot_user, human = tree["m1"], tree["m1b"]
    clock.freeze(clock.now().replace(hour=1, minute=0, second=0, microsecond=0))
    bot = run_bot(app, bot_user, lessons, page=True, answer_after_ms=1000)
    assert credited(db, bot_user.id) / (HOURS * 3600) > 0.9
    assert "answer:studying" in bot.states
    page = reviewed(client, login, tree["sec1"])
    section = section_of(page, bot_user.id)
    assert "计时心跳机械般整齐" in section and "防挂机确认点击过快" not in section
    assert section_of(page, human.id) == ""
    # The reviewer takes a stretch back: 不予认定, with the reason, seen by the member.
    stretch_id = int(re.search(r'/integrity/stretches/(\d+)/void', section).group(1))
    token = csrf_token(client, "/integrity/")
    before = credited(db, bot_user.id)
    resp = client.post(f"/integrity/stretches/{stretch_id}/void", data={"reason": "脚本挂机", "csrf_token": token})
    assert resp.status_code == 302
    assert credited(db, bot_user.id) < before
