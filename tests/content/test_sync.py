from __future__ import annotations

import re
import shutil
from pathlib import Path

import sqlalchemy as sa
import yaml

from lms.content.models import Course, Lesson, Question

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _counts(db):
    with db() as s:
        return {
            m.__name__: s.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
            for m in (Course, Lesson, Question)
        }


def test_sync_is_idempotent(runner, db):
    first = runner.invoke(args=["lms", "content", "sync"])
    assert first.exit_code == 0, first.output
    before = _counts(db)
    second = runner.invoke(args=["lms", "content", "sync"])
    assert "新增 0，更新 0，停用 0" in second.output
    assert _counts(db) == before
    assert before["Course"] == 3 and before["Lesson"] >= 17


def test_removed_lesson_is_retired_not_deleted_and_comes_back(runner, db, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    assert runner.invoke(args=["lms", "content", "sync", "--path", str(root)]).exit_code == 0
    course_dir = root / "courses" / "mass-line-campaign"
    lesson_md = sorted(course_dir.glob("0*.md"))[-1]
    key = "mass-line-campaign/" + lesson_md.name[3:-3]
    moved = tmp_path / "aside"
    moved.mkdir()
    shutil.move(lesson_md, moved / lesson_md.name)
    shutil.move(lesson_md.with_name(lesson_md.name[:-3] + ".quiz.yaml"), moved)
    # Its exam-pool questions go too (they must name a lesson of the course); the exam draws fewer.
    exam, course_md = course_dir / "exam.yaml", course_dir / "course.md"
    exam_text, course_text = exam.read_text(encoding="utf-8"), course_md.read_text(encoding="utf-8")
    kept = [q for q in yaml.safe_load(exam_text) if q["lesson"] != lesson_md.stem]
    exam.write_text(yaml.safe_dump(kept, allow_unicode=True), encoding="utf-8")
    course_md.write_text(re.sub(r"questions: \d+", f"questions: {len(kept) // 2}", course_text, count=1), encoding="utf-8")
    out = runner.invoke(args=["lms", "content", "sync", "--path", str(root)])
    assert out.exit_code == 0, out.output
    with db() as s:
        lesson = s.exec(sa.select(Lesson).where(Lesson.key == key)).scalar_one()
        assert lesson.retired_at is not None
        lesson_id = lesson.id
        retired = s.exec(sa.select(Question).where(Question.lesson_id == lesson_id)).scalars().all()
        assert retired and all(q.retired_at is not None for q in retired)  # quiz and pool questions alike
    for f in moved.iterdir():
        shutil.move(f, course_dir / f.name)
    exam.write_text(exam_text, encoding="utf-8")
    course_md.write_text(course_text, encoding="utf-8")
    out = runner.invoke(args=["lms", "content", "sync", "--path", str(root)])
    assert out.exit_code == 0, out.output
    with db() as s:
        lesson = s.exec(sa.select(Lesson).where(Lesson.key == key)).scalar_one()
        assert lesson.retired_at is None and lesson.id == lesson_id


def test_sync_is_all_or_nothing(runner, db, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    bad = sorted((root / "courses" / "cadre-team-building").glob("0*.md"))[0]
    bad.write_text(bad.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    out = runner.invoke(args=["lms", "content", "sync", "--path", str(root)])
    assert out.exit_code == 1
    assert "未做任何同步" in out.output
    assert _counts(db) == {"Course": 0, "Lesson": 0, "Question": 0}


def test_changed_lesson_is_updated(runner, db, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    runner.invoke(args=["lms", "content", "sync", "--path", str(root)])
    lesson_md = sorted((root / "courses" / "cadre-team-building").glob("0*.md"))[0]
    lesson_md.write_text(lesson_md.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    out = runner.invoke(args=["lms", "content", "sync", "--path", str(root)])
    assert "课：新增 0，更新 1" in out.output
