from __future__ import annotations

import pytest
from sqlmodel import select

from tests.hours.conftest import LESSON_KEY


@pytest.fixture
def lesson_row(synced, db):
    from lms.content.models import Lesson

    with db() as s:
        return s.exec(select(Lesson).where(Lesson.key == LESSON_KEY)).one()
