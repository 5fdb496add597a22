"""The answer-harvest replay (issue 13): a script fails every lesson quiz once, keeps every answer key
the reviews show, matched by option text as the attacker did, then sits the exam and finds none of
its questions among them. Lesson-quiz reviews still show their own answers (the keys do pass the
quizzes); the exam draws from a pool no lesson quiz shows.

The script only reads pages and posts forms, like the attacker; study time (the tracker, point 1)
is credited through the services as setup.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass

import pytest
from sqlmodel import select

from lms.content.models import Question
from lms.question_types import LETTERS
from lms.quiz.models import Attempt, AttemptQuestion
from tests.conftest import csrf_token
from tests.quiz.helpers import course_and_lessons, study_lesson

COURSES = ("cadre-selection-regulations", "mass-line-campaign", "cadre-team-building")
_NOT_WORD = re.compile(r"[\W_]+")


def _norm(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", html_lib.unescape(text))).lower()


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


@dataclass(frozen=True)
class Key:
    stem: str
    options: frozenset[str]  # normalised option texts (empty for judge and blank)
    answer: str  # the review's 正确答案 as shown


@dataclass(frozen=True)
class Shown:
    """A question as the attempt page shows it: stem, (value, option text) pairs, field name."""

    name: str
    stem: str
    options: tuple[tuple[str, str], ...]
    kind: str


def _attempt_url(resp) -> str:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    location = resp.headers["Location"]
    assert re.search(r"/quiz/attempts/\d+$", location), location
    return location


def _questions(page: str) -> list[Shown]:
    out = []
    for block in re.findall(r'<fieldset data-question="\d+">(.*?)</fieldset>', page, re.S):
        legend = re.search(r"<legend>(.*?)</legend>", block, re.S).group(1)
        kind = _text(re.search(r'<span class="tag tag-optional">(.*?)</span>', legend).group(1))
        stem = _text(legend.split("</span>", 2)[2])
        name = re.search(r'name="(q_\d+)"', block).group(1)
        options = tuple(
            (value, _text(text)) for value, text in re.findall(
                r'value="(\d+)"[^>]*> <span class="opt-letter">[A-H]\.</span> <span>(.*?)</span>', block)
        )
        out.append(Shown(name=name, stem=stem, options=options, kind=kind))
    return out


def _guess(q: Shown) -> list[str]:
    """What a script with no key sends: the first option, 错误, or a word."""
    if q.options:
        return [q.options[0][0]]
    if "判断" in q.kind:
        return ["false"]
    return ["不知道"]


def _harvest(review: str) -> list[Key]:
    keys = []
    for block in re.findall(r'<li class="card question[^"]*">(.*?)</dl>\s*</li>', review, re.S):
        stem = _text(re.search(r'<p class="q-stem">(.*?)</p>', block, re.S).group(1).split("</span>", 2)[2])
        options = [_text(o).split(". ", 1)[1] for o in re.findall(r"<li>(.*?)</li>", block, re.S)]
        answer = _text(re.search(r"<dt>正确答案</dt><dd>(.*?)</dd>", block, re.S).group(1))
        keys.append(Key(stem=_norm(stem), options=frozenset(map(_norm, options)), answer=answer))
    return keys


def _answer_with(q: Shown, keys: dict[str, Key]) -> list[str]:
    """The form values a harvested key gives for a question (by stem, then by option text)."""
    key = keys[_norm(q.stem)]
    if q.options:
        wanted = {_norm(part.split(". ", 1)[1]) for part in key.answer.split("；")}
        return [value for value, text in q.options if _norm(text) in wanted]
    if "判断" in q.kind:
        return ["true" if key.answer == "正确" else "false"]
    return [key.answer.split(" / ")[0]]


def _take(client, url: str, answer) -> str:
    page = client.get(url).get_data(as_text=True)
    data = {q.name: answer(q) for q in _questions(page)}
    token = csrf_token(client, url)
    resp = client.post(url + "/submit", data={**data, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("slug", COURSES)
def test_lesson_quiz_reviews_do_not_give_away_the_exam(client, make_user, login, synced, db, slug):
    member = make_user(name="脚本")
    login(member)
    course, lessons = course_and_lessons(db, slug)

    # 1. Fail (well, answer blindly) every lesson quiz once; keep every key the reviews show.
    keys: dict[str, Key] = {}
    for lesson in lessons:
        token = csrf_token(client, f"/courses/{slug}/{lesson.slug}")
        url = _attempt_url(client.post(f"/quiz/lesson/{slug}/{lesson.slug}/start", data={"csrf_token": token}))
        review = _take(client, url, _guess)
        harvested = _harvest(review)
        assert len(harvested) >= 8, "lesson-quiz reviews keep showing every answer"
        keys.update((k.stem, k) for k in harvested)

    # 2. The keys are real: retaken with them, every lesson quiz passes.
    for lesson in lessons:
        token = csrf_token(client, f"/courses/{slug}/{lesson.slug}")
        url = _attempt_url(client.post(f"/quiz/lesson/{slug}/{lesson.slug}/start", data={"csrf_token": token}))
        review = _take(client, url, lambda q: _answer_with(q, keys))
        assert "<strong>100</strong> 分" in review
        with db() as s:
            study_lesson(s, member.id, lesson)
            s.commit()

    # 3. The exam: none of its questions is among the harvest. Matched by stem, or by option text
    #    (the same options, whatever the stem) where the harvested key is also this question's key.
    token = csrf_token(client, f"/courses/{slug}")
    url = _attempt_url(client.post(f"/quiz/exam/{slug}/start", data={"csrf_token": token}))
    exam = _questions(client.get(url).get_data(as_text=True))
    assert len(exam) == course.exam_questions
    by_options: dict[frozenset[str], list[Key]] = {}
    for k in keys.values():
        if k.options:
            by_options.setdefault(k.options, []).append(k)
    found = [q.stem for q in exam if _norm(q.stem) in keys]
    with db() as s:
        for q in exam:
            for k in by_options.get(frozenset(_norm(t) for _, t in q.options), []) if q.options else []:
                question = s.get(Question, int(q.name[2:]))
                right = {_norm(question.options[LETTERS.index(a)]) for a in question.answer}
                if right == {_norm(part.split(". ", 1)[1]) for part in k.answer.split("；")}:
                    found.append(q.stem)
    assert found == []

    # And behind the pages: no question of the exam was ever drawn into this member's lesson quizzes.
    with db() as s:
        def drawn(kind: str) -> set[int]:
            return set(s.exec(select(AttemptQuestion.question_id).join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
                              .where(Attempt.user_id == member.id, Attempt.kind == kind)))
        assert drawn("exam") and drawn("lesson") and not drawn("exam") & drawn("lesson")
