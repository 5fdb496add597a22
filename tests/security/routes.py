"""Every route of the app and who may use it — the authorization matrix's expectations.

Adding a route? `test_every_rule_is_classified` fails until it has an entry here. For each
endpoint declare:

- `methods`: exactly the rule's methods (without HEAD/OPTIONS);
- `args`: its URL arguments, built from the fixture world (tests/security/world.py); extra keys
  become the query string;
- `get`: for routes that answer GET, the status each role gets, written `expect(anon, member,
  sec, foreign, admin)` — `sec` is the secretary of branch 1 (whose records the URL names),
  `foreign` the secretary of branch 2; LOGIN means a redirect to /login;
- `post`: for routes that take POST (or PUT/DELETE), the same per role; ALLOW marks the roles
  that may do it — those are not sent here (they would change the world; the slice's own tests
  cover them), every other role is, with a valid CSRF token and `data`, and must get the declared
  status while no table changes;
- `variants`: more (label, args, get) cases of the same GET route (another format, a query
  string that names another branch's organisation…).

`json=True` routes answer an anonymous caller 401 instead of a redirect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from lms import clock
from tests.security.world import M1_NO, World

ROLES = ("anon", "member", "sec", "foreign", "admin")
LOGIN = "LOGIN"  # 302 to /login
ALLOW = "ALLOW"  # the role may do this; the state-changing request is not sent


def expect(anon, member, sec, foreign, admin) -> dict[str, int | str]:
    return dict(zip(ROLES, (anon, member, sec, foreign, admin), strict=True))


EVERYONE = expect(LOGIN, 200, 200, 200, 200)
PUBLIC = expect(200, 200, 200, 200, 200)
MANAGERS = expect(LOGIN, 403, 200, 200, 200)
B1_RECORD = expect(LOGIN, 403, 200, 404, 200)  # a page about a branch-1 member or organisation
ADMIN_ONLY = expect(LOGIN, 403, 403, 403, 200)
OWN_ONLY = expect(LOGIN, 200, 404, 404, 404)  # m1's own record
CREATOR_ONLY = expect(LOGIN, 403, 200, 404, 404)  # sec1's batch job

POST_ANY_USER = expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW)
POST_B1_RECORD = expect(LOGIN, 403, ALLOW, 404, ALLOW)
JSON_ANY_USER = expect(401, ALLOW, ALLOW, ALLOW, ALLOW)

Args = Callable[[World], dict]


def no_args(w: World) -> dict:
    return {}


@dataclass(frozen=True)
class Route:
    methods: str
    args: Args = no_args
    get: dict | None = None
    post: dict | None = None
    data: Args = no_args
    json: bool = False
    public: bool = False
    variants: tuple[tuple[str, Args, dict], ...] = field(default_factory=tuple)

    @property
    def method_set(self) -> frozenset[str]:
        return frozenset(self.methods.split(","))


def member(w):
    return {"user_id": w.m1}


def branch1(w):
    return {"org_id": w.b1}


def course(w):
    return {"slug": w.course}


def lesson(w):
    return {"slug": w.course, "lesson_slug": w.lesson}


def cert(w):
    return {"cert_id": w.cert}


def job(w):
    return {"job_id": w.job}


def report(w):
    return {"report_id": w.report}


def attempt(w):
    return {"attempt_id": w.attempt}


def offline(w):
    return {"session_id": w.offline}


def offline_pending(w):
    return {"session_id": w.offline_pending}


def note_item(w):
    return {"lesson_id": w.lesson_id, "item": 1}


def today() -> str:
    return clock.today().isoformat()


ROUTES: dict[str, Route] = {
    # --- auth
    "auth.login": Route("GET,POST", get=expect(200, 302, 302, 302, 302), post=expect(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW),
                        public=True, data=lambda w: {"login": "nobody", "password": "x"}),
    "auth.logout": Route("POST", post=expect(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW)),
    "auth.change_password": Route("GET,POST", get=EVERYONE, post=POST_ANY_USER),
    "auth.devices": Route("GET", get=EVERYONE),
    "auth.device_end": Route("POST", lambda w: {"login_id": 1}, post=POST_ANY_USER),
    "auth.devices_end_others": Route("POST", post=POST_ANY_USER),
    # --- content
    "content.dashboard": Route("GET", get=EVERYONE),
    "content.course": Route("GET", course, get=EVERYONE),
    "content.lesson": Route("GET", lesson, get=EVERYONE),
    # --- ops
    "ops.healthz": Route("GET", get=PUBLIC, public=True),
    "ops.favicon": Route("GET", get=PUBLIC, public=True),
    # --- orgs: roster and import
    "orgs.home": Route("GET", get=expect(LOGIN, 403, 302, 302, 302)),
    "orgs.index": Route("GET", get=MANAGERS),
    "orgs.org": Route("GET", branch1, get=B1_RECORD),
    "orgs.member": Route("GET", member, get=B1_RECORD),
    "orgs.member_new": Route("GET,POST", branch1, get=B1_RECORD, post=POST_B1_RECORD,
                             data=lambda w: {"name": "新党员", "member_no": "NEW-0001", "org_id": w.b1}),
    "orgs.member_edit": Route("GET,POST", member, get=B1_RECORD, post=POST_B1_RECORD,
                              data=lambda w: {"name": "改名", "member_no": M1_NO}),
    "orgs.member_deactivate": Route("GET,POST", member, get=B1_RECORD, post=POST_B1_RECORD),
    "orgs.member_reactivate": Route("GET,POST", member, get=B1_RECORD, post=POST_B1_RECORD),
    "orgs.member_password": Route("GET,POST", member, get=B1_RECORD, post=POST_B1_RECORD,
                                  data=lambda w: {"mode": "manual", "password": "Takeover-Canal-1960"}),
    "orgs.member_move": Route("GET,POST", member, get=expect(LOGIN, 403, 403, 404, 200),
                              post=expect(LOGIN, 403, 403, 404, ALLOW), data=lambda w: {"org_id": w.b2}),
    "orgs.import_upload": Route("GET,POST", get=MANAGERS, post=expect(LOGIN, 403, ALLOW, ALLOW, ALLOW)),
    # sec1's kept upload: nobody else can confirm it (they get the "expired" page, nothing imported).
    "orgs.import_confirm": Route("POST", post=expect(LOGIN, 403, ALLOW, 200, 200),
                                 data=lambda w: {"token": w.upload_token}),
    # The list is rebuilt within the caller's scope: branch 2's secretary gets an empty list.
    "orgs.import_passwords": Route("POST", post=expect(LOGIN, 403, ALLOW, 200, ALLOW),
                                   data=lambda w: {"passwords": json.dumps([[w.m1, "Guess12345"]])}),
    "orgs.import_template": Route("GET", lambda w: {"fmt": "csv"}, get=MANAGERS,
                                  variants=(("xlsx", lambda w: {"fmt": "xlsx"}, MANAGERS),)),
    # --- 学时异常
    "integrity.index": Route("GET", get=MANAGERS),
    "integrity.void": Route("POST", lambda w: {"stretch_id": w.stretch}, post=POST_B1_RECORD,
                            data=lambda w: {"reason": "越权"}),
    "integrity.clear": Route("POST", member, post=POST_B1_RECORD),
    # --- audit
    "audit.index": Route("GET", get=ADMIN_ONLY),
    # --- quiz
    "quiz.start_lesson": Route("POST", lesson, post=POST_ANY_USER),
    "quiz.start_exam": Route("POST", course, post=POST_ANY_USER),
    "quiz.attempt": Route("GET", attempt, get=OWN_ONLY),
    "quiz.save_answer": Route("POST", attempt, post=expect(401, ALLOW, 404, 404, 404), json=True,
                              data=lambda w: {"question": w.question, "value": "0"}),
    "quiz.submit": Route("POST", attempt, post=expect(LOGIN, ALLOW, 404, 404, 404)),
    "quiz.stats_index": Route("GET", get=MANAGERS),
    "quiz.stats_course": Route("GET", course, get=MANAGERS),
    # --- hours
    "hours.start": Route("POST", post=JSON_ANY_USER, json=True, data=lambda w: {"lesson_id": w.lesson_id}),
    "hours.beat": Route("POST", post=JSON_ANY_USER, json=True),
    "hours.presence": Route("POST", post=JSON_ANY_USER, json=True),
    "hours.mine": Route("GET", get=EVERYONE),
    "hours.member": Route("GET", member, get=B1_RECORD),
    "hours.adjust": Route("POST", member, post=expect(LOGIN, 403, 403, 404, ALLOW),
                          data=lambda w: {"minutes": "600", "local_date": today(), "reason": "越权"}),
    "hours.self_reports": Route("GET,POST", get=EVERYONE, post=POST_ANY_USER),
    "hours.review": Route("GET", get=MANAGERS),
    "hours.approve": Route("POST", report, post=POST_B1_RECORD),
    "hours.reject": Route("POST", report, post=POST_B1_RECORD, data=lambda w: {"reason": "越权"}),
    "hours.approve_batch": Route("POST", post=expect(LOGIN, 403, ALLOW, 404, ALLOW),
                                 data=lambda w: {"report_ids": [str(w.report)]}),
    # --- 集中学习 sessions
    "offline.index": Route("GET", get=MANAGERS),
    "offline.new": Route("GET,POST", branch1, get=B1_RECORD, post=POST_B1_RECORD,
                          data=lambda w: {"type": "党课", "topic": "越权", "held_on": today(), "hours": "1",
                                          "minutes": "0", "place": "x", "attendees": [str(w.m1)]}),
    "offline.detail": Route("GET", offline, get=B1_RECORD),
    "offline.edit": Route("GET,POST", offline, get=B1_RECORD, post=POST_B1_RECORD,
                           data=lambda w: {"type": "党课", "topic": "越权", "held_on": today(), "hours": "9",
                                           "minutes": "0", "place": "x", "attendees": [str(w.m1)]}),
    "offline.void": Route("GET,POST", offline, get=B1_RECORD, post=POST_B1_RECORD,
                           data=lambda w: {"reason": "越权"}),
    # sec1's session for sec1 alone: decided at the next level (the admin here), never by sec1.
    "offline.approve": Route("POST", offline_pending, post=expect(LOGIN, 403, 404, 404, ALLOW)),
    "offline.reject": Route("POST", offline_pending, post=expect(LOGIN, 403, 404, 404, ALLOW),
                            data=lambda w: {"reason": "越权"}),
    # --- reports
    "reports.index": Route("GET", get=expect(LOGIN, 403, 302, 302, 200)),
    "reports.org": Route("GET", branch1, get=B1_RECORD),
    "reports.export_csv": Route("GET", branch1, get=B1_RECORD),
    "reports.export_xlsx": Route("GET", branch1, get=B1_RECORD),
    # --- certificates
    "certificates.mine": Route("GET", get=EVERYONE),
    "certificates.claim": Route("POST", post=POST_ANY_USER,
                                data=lambda w: {"kind": "annual", "year": clock.today().year}),
    "certificates.detail": Route("GET", cert, get=expect(LOGIN, 200, 200, 404, 200)),
    "certificates.download": Route("GET", cert, get=expect(LOGIN, 200, 200, 404, 200)),
    "certificates.revoke": Route("POST", cert, post=expect(LOGIN, 403, 403, 403, ALLOW),
                                 data=lambda w: {"reason": "越权"}),
    "certificates.reissue_cert": Route("POST", cert, post=expect(LOGIN, 403, 403, 403, ALLOW)),
    "certificates.clear_flag": Route("POST", cert, post=expect(LOGIN, 403, 403, 403, ALLOW),
                                     data=lambda w: {"note": "越权"}),
    "certificates.manage": Route("GET", get=MANAGERS,
                                 variants=(("branch1", branch1, B1_RECORD),)),
    "certificates.batch_page": Route(
        "GET,POST", get=MANAGERS, post=expect(LOGIN, 403, ALLOW, 404, ALLOW),
        data=lambda w: {"org_id": w.b1, "mode": "all", "kind": "annual", "year": clock.today().year},
        variants=(("branch1", branch1, B1_RECORD),),
    ),
    "certificates.batch_job": Route("GET", job, get=CREATOR_ONLY),
    "certificates.batch_status": Route("GET", job, get=expect(401, 403, 200, 404, 404), json=True),
    "certificates.batch_download": Route("GET", lambda w: {"job_id": w.job, "fmt": "pdf"}, get=CREATOR_ONLY,
                                         variants=(("zip", lambda w: {"job_id": w.job, "fmt": "zip"}, CREATOR_ONLY),)),
    "certificates.verify_form": Route("GET", get=PUBLIC, public=True),
    "certificates.verify": Route("GET", lambda w: {"code": w.cert_code}, get=PUBLIC, public=True),
    "certificates.signing_keys_page": Route("GET", get=PUBLIC, public=True),
    "certificates.signing_keys_pem": Route("GET", get=PUBLIC, public=True),
    "certificates.offline_script": Route("GET", get=PUBLIC, public=True),
    # --- 学习心得: everyone writes only their own answers; a secretary reads a member in scope
    "notes.save_draft": Route("POST", note_item, post=JSON_ANY_USER, json=True, data=lambda w: {"body": "越权"}),
    "notes.submit": Route("POST", note_item, post=JSON_ANY_USER, json=True, data=lambda w: {"body": "越权"}),
    "notes.withdraw": Route("POST", note_item, post=JSON_ANY_USER, json=True),
    "notes.mine": Route("GET", get=EVERYONE),
    "notes.member": Route("GET", member, get=B1_RECORD),
    # --- 学习档案 (lms/records)
    "records.mine": Route("GET", get=EVERYONE),
    "records.mine_pdf": Route("GET", get=EVERYONE,
                              variants=(("range", lambda w: {"from": clock.today().year - 1, "to": clock.today().year},
                                         EVERYONE),)),
    "records.member_pdf": Route("GET", member, get=B1_RECORD),
    "records.branch": Route("GET", branch1, get=B1_RECORD),
    "records.branch_download": Route("GET", lambda w: {"org_id": w.b1, "fmt": "pdf"}, get=B1_RECORD,
                                     variants=(("zip", lambda w: {"org_id": w.b1, "fmt": "zip"}, B1_RECORD),)),
}


def get_cases() -> list[tuple[str, str, str]]:
    """(endpoint, variant, role) for every GET the matrix sends."""
    out = []
    for endpoint, route in ROUTES.items():
        if route.get is None:
            continue
        for label in ("", *(v[0] for v in route.variants)):
            out.extend((endpoint, label, role) for role in ROLES)
    return out


def get_request(route: Route, label: str) -> tuple[Args, dict]:
    if not label:
        return route.args, route.get
    (args, expected) = next((a, e) for name, a, e in route.variants if name == label)
    return args, expected


def post_cases() -> list[tuple[str, str]]:
    """(endpoint, role) for every state-changing request a role must be refused."""
    return [
        (endpoint, role)
        for endpoint, route in ROUTES.items()
        if route.post
        for role in ROLES
        if route.post[role] != ALLOW
    ]


STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def classification_problems(app) -> list[str]:
    rules: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and not rule.endpoint.endswith(".static"):  # the slices' static files too
            rules.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    problems = []
    unclassified = sorted(set(rules) - set(ROUTES))
    if unclassified:
        problems.append(f"routes missing from tests/security/routes.py: {unclassified}")
    stale = sorted(set(ROUTES) - set(rules))
    if stale:
        problems.append(f"tests/security/routes.py names routes the app no longer has: {stale}")
    for e in sorted(set(rules) & set(ROUTES)):
        route = ROUTES[e]
        if rules[e] != route.method_set:
            problems.append(f"{e}: the app takes {sorted(rules[e])}, the table says {sorted(route.method_set)}")
        if ("GET" in route.method_set) != (route.get is not None):
            problems.append(f"{e}: GET expectations missing or superfluous")
        if bool(route.method_set & STATE_CHANGING) != (route.post is not None):
            problems.append(f"{e}: POST expectations missing or superfluous")
    return problems
