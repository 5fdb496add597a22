"""Template hooks (lms/hooks.py): pages show other slices' panels through named hooks that the
slices register, the views collect the panels before rendering, and nothing queries the database
while a page's template renders."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import before_render_template, render_template_string, template_rendered
from markupsafe import Markup

from lms import hooks
from tests.conftest import PASSWORD, csrf_token
from tests.sql import each_statement

LESSON = "/courses/cadre-selection-regulations/good-cadre-standard"
COURSE = "/courses/cadre-selection-regulations"
PAGES = {"/": "content/dashboard.html", COURSE: "content/course.html", LESSON: "content/lesson.html"}


def secretary_client(app, secretary):
    """A second browser, signed in as the secretary (the test's own client stays a member)."""
    c = app.test_client()
    c.post("/login", data={"login": secretary.login_name, "password": PASSWORD, "csrf_token": csrf_token(c)})
    return c


@contextmanager
def sql_while_rendering(app, template_name: str):
    """The SQL statements run while `template_name` itself renders (not the panels before it)."""
    seen: list[str] = []
    state = {"on": False}

    def start(sender, template, context, **extra):
        if template.name == template_name:
            state["on"] = True

    def stop(sender, template, context, **extra):
        if template.name == template_name:
            state["on"] = False

    def record(statement, parameters):
        if state["on"]:
            seen.append(statement)

    before_render_template.connect(start, app)
    template_rendered.connect(stop, app)
    try:
        with each_statement(app, record):
            yield seen
    finally:
        before_render_template.disconnect(start, app)
        template_rendered.disconnect(stop, app)


def test_each_slice_registers_its_panels(app):
    def owners(hook):
        return [f"{f.__module__}.{f.__name__}" for f in hooks.providers(app, hook)]

    assert owners("dashboard.summary") == ["lms.hours.templating.hours_year_glance"]
    assert owners("dashboard.course_status") == ["lms.quiz.views.course_status"]
    # The exam card comes before the certificate card, as on the page before the hooks.
    assert owners("course.extra") == ["lms.quiz.views.exam_card", "lms.certificates.views.course_card"]
    assert owners("lesson.status") == ["lms.hours.templating.hours_lesson_panel"]
    # 学习心得 follows the lesson text (whose last section is 思考题), before the quiz card.
    assert owners("lesson.after") == ["lms.notes.views.writing_panel", "lms.quiz.views.lesson_card"]
    # Certificates under review (when a correction left the holder short) follow the year's 学时.
    assert owners("member.extra") == ["lms.hours.templating.hours_member_year", "lms.certificates.views.flagged_panel",
                                      "lms.notes.views.member_notes", "lms.integrity.views.member_anomalies",
                                      "lms.records.views.member_record_panel"]  # the 学习档案 download, last
    assert owners("review.extra") == ["lms.offline.views.pending_sessions"]


def test_the_slices_panels_appear_on_the_pages(app, client, make_user, login, synced, tree):
    login(make_user())
    assert "年度学时" in client.get("/").get_data(as_text=True)
    course = client.get(COURSE).get_data(as_text=True)
    assert 'id="exam"' in course and "课程结业证书" in course
    assert course.index('id="exam"') < course.index("课程结业证书")
    lesson = client.get(LESSON).get_data(as_text=True)
    assert 'id="study-tracker"' in lesson and 'id="quiz"' in lesson
    assert 'src="/hours/static/js/tracker.js"' in lesson
    assert 'id="notes"' in lesson and 'src="/notes/static/js/notes.js"' in lesson
    member = secretary_client(app, tree["sec1"]).get(f"/orgs/members/{tree['m1'].id}").get_data(as_text=True)
    assert 'class="card member-hours"' in member and "查看学时明细" in member
    assert 'class="card member-notes"' in member and "查看学习心得" in member


def test_a_panel_registered_for_a_hook_appears_in_its_order(app, client, make_user, login, synced):
    seen = {}

    def provider(*, user, course, lesson, **_):
        seen.update(user=user.id, lesson=lesson.slug, course=course.slug)
        return Markup('<p id="extra-panel">{}</p>').format("<本课附加>")

    hooks.register_panel(app, "lesson.after", provider, order=0)
    hooks.register_panel(app, "lesson.after", lambda **_: None, order=1)  # None: nothing to show
    user = make_user()
    login(user)
    html = client.get(LESSON).get_data(as_text=True)
    assert '<p id="extra-panel">&lt;本课附加&gt;</p>' in html  # the provider's text is escaped by Markup
    assert html.index('id="extra-panel"') < html.index('id="quiz"')  # order 0 before the quiz card's 50
    assert seen == {"user": user.id, "lesson": "good-cadre-standard", "course": "cadre-selection-regulations"}


def test_a_provider_may_return_a_template_and_its_context(app, client, make_user, login, synced):
    hooks.register_panel(app, "dashboard.summary",
                         lambda *, user, **_: ("errors/error.html", {"code": 299, "title": "面板", "text": user.name}),
                         order=99)
    user = make_user(name="面板测试员")
    login(user)
    html = client.get("/").get_data(as_text=True)
    assert "面板测试员" in html and "年度学时" in html


@pytest.mark.parametrize("absent", ["hours", "quiz", "certificates", "notes", "all"])
def test_pages_render_when_a_slice_provides_no_panels(app, client, make_user, login, synced, tree, absent):
    """A slice that registers nothing (or is left out) takes its panels away, nothing else."""
    registry = app.extensions[hooks.EXTENSION]
    for hook, entries in registry.items():
        registry[hook] = [e for e in entries if absent != "all" and f"lms.{absent}." not in e.func.__module__]
    login(make_user())
    pages = {path: client.get(path) for path in PAGES}
    assert all(r.status_code == 200 for r in pages.values())
    html = {path: r.get_data(as_text=True) for path, r in pages.items()}
    has_hours, has_quiz, has_certs, has_notes = (
        absent not in (s, "all") for s in ("hours", "quiz", "certificates", "notes"))
    assert ('id="study-tracker"' in html[LESSON]) is has_hours
    assert ("年度学时" in html["/"]) is has_hours
    assert ('id="quiz"' in html[LESSON]) is has_quiz
    assert ('id="exam"' in html[COURSE]) is has_quiz
    assert ("课程结业证书" in html[COURSE]) is has_certs
    assert ('id="notes"' in html[LESSON]) is has_notes
    # The page's own content stays.
    assert "学习目标" in html[LESSON] and "好干部标准与基本条件资格" in html[COURSE]
    member = secretary_client(app, tree["sec1"]).get(f"/orgs/members/{tree['m1'].id}")
    assert member.status_code == 200 and "党员甲" in member.get_data(as_text=True)
    assert ('class="card member-hours"' in member.get_data(as_text=True)) is has_hours
    assert ('class="card member-notes"' in member.get_data(as_text=True)) is has_notes


def test_no_statement_runs_while_a_page_renders(app, client, make_user, login, synced, tree):
    """The panels' data is loaded by the view; templates call no global that queries the database."""
    login(make_user())
    for path, template in PAGES.items():
        client.get(path)
        with sql_while_rendering(app, template) as seen:
            assert client.get(path).status_code == 200
        assert seen == [], (path, seen)
    secretary = secretary_client(app, tree["sec1"])
    with sql_while_rendering(app, "orgs/member.html") as seen:
        assert secretary.get(f"/orgs/members/{tree['m1'].id}").status_code == 200
    assert seen == []


def test_a_hook_the_view_did_not_collect_is_an_error(app):
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="did not collect"):
        render_template_string("{{ panels('lesson.status') }}")


def test_unknown_hooks_are_refused(app):
    with pytest.raises(ValueError, match="unknown template hook"):
        hooks.register_panel(app, "lesson.staus", lambda **_: None)
    with app.test_request_context("/"), pytest.raises(ValueError, match="unknown template hook"):
        hooks.collect_panels("lesson.staus")


def test_no_page_includes_another_slices_partial(app):
    """Panels cross slices through hooks only: a template extends, includes or imports only its own
    slice's files and the shared ones (base.html, _manage.html, _form.html)."""
    import re
    from pathlib import Path

    root = Path(hooks.__file__).parent
    shared = {"base.html", "_manage.html", "_form.html"}
    problems = []
    for path in root.glob("*/templates/*/**/*.html"):
        slice_name = path.relative_to(root).parts[0]
        for name in re.findall(r'{%-?\s*(?:extends|include|import|from)\s+"([^"]+)"', path.read_text(encoding="utf-8")):
            if name not in shared and not name.startswith(f"{slice_name}/"):
                problems.append(f"{path.relative_to(root)} includes {name}")
    assert problems == []
