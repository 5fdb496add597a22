"""Every table of every slice, imported once so SQLModel.metadata is complete (Alembic, tests)."""

from lms.audit.models import AuditEvent  # noqa: F401
from lms.auth.models import LoginSession, User  # noqa: F401
from lms.certificates.models import BatchJob, Certificate, SerialCounter  # noqa: F401
from lms.content.models import Course, Lesson, LessonVisit, Question  # noqa: F401
from lms.db import metadata  # noqa: F401
from lms.hours.models import LedgerEntry, SelfReport, StudySession  # noqa: F401
from lms.limiter_storage import counters  # noqa: F401
from lms.notes.models import NoteAnswer  # noqa: F401
from lms.offline.models import OfflineAttendance, OfflineSession  # noqa: F401
from lms.orgs.models import Organization  # noqa: F401
from lms.quiz.models import Attempt, AttemptQuestion  # noqa: F401
