from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default

ORG_KINDS = ("党委", "党总支", "党支部")


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=10)  # 党委 | 党总支 | 党支部
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    # Materialised path "/1/4/9/": a subtree is one indexed prefix match.
    path: str = Field(default="", max_length=255, index=True)
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)

    @property
    def is_branch(self) -> bool:
        return self.kind == "党支部"
