from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lms.db import UTCDateTime, utcnow_default

KINDS = ("course", "annual")
KIND_LABELS = {"course": "课程结业证书", "annual": "年度学习培训合格证明"}
# Why a certificate was revoked (the category is public on the verification page; the free-text
# reason stays inside the app).
REVOKE_CATEGORIES = {"hours": "学时核减", "info": "信息有误", "duplicate": "重复颁发", "other": "其他"}


class Certificate(SQLModel, table=True):
    """An issued certificate. Written once; only the revocation fields change afterwards.

    A revoked certificate stays (its code still verifies, as 已撤销); an admin may issue a new one
    for the same subject, which points back at it with `replaces_id`. At most one certificate per
    member and subject is not revoked (a partial unique index).

    What is printed (names, titles, 学时) is kept as a snapshot, so the record, the stored PDF
    and the public verification page always agree, whatever happens to the roster or content.
    """

    __tablename__ = "certificate"
    __table_args__ = (
        # One valid certificate per member and subject: claiming again returns it; after a
        # revocation an admin may issue a replacement.
        sa.Index("uq_certificate_current", "user_id", "subject_key", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL")),
        sa.UniqueConstraint("issuer_org_id", "serial"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # course | annual
    # "course:<id>" or "annual:<year>" — one key for the once-only rule (NULLs are never equal).
    subject_key: str = Field(max_length=40)
    user_id: int = Field(foreign_key="user.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)  # the holder's branch at issue
    issuer_org_id: int = Field(foreign_key="organization.id", index=True)  # the 党委 at the top
    course_id: int | None = Field(default=None, foreign_key="course.id", index=True)
    year: int
    seconds: int
    hours: float  # 学时 as printed
    holder_name: str = Field(max_length=50)
    org_name: str = Field(max_length=100)
    issuer_name: str = Field(max_length=100)
    subject: str = Field(max_length=200)  # course title or "2026年度"
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    serial_no: int  # the number within (issuer, year of issue)
    serial: str = Field(max_length=40)  # "2026-0001": year of issue and number, unique per issuer
    code: str = Field(max_length=32)  # canonical verification code, printed on the PDF
    code_digest: str = Field(max_length=64, unique=True)  # SHA-256 of the code: the lookup key
    pdf: bytes = Field(sa_type=sa.LargeBinary, repr=False)
    sha256: str = Field(max_length=64)
    issued_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by_id: int | None = Field(default=None, foreign_key="user.id")
    revoke_reason: str | None = Field(default=None, max_length=500)
    revoke_category: str | None = Field(default=None, max_length=20)  # a key of REVOKE_CATEGORIES
    # The revoked certificate this one was issued to replace (each is replaced at most once).
    replaces_id: int | None = Field(default=None, foreign_key="certificate.id", unique=True)
    # The certificate template it was rendered with (template_version.current() at issue time).
    template_version: str | None = Field(default=None, max_length=64)
    # Set when a correction of the ledger leaves the holder below what the certificate required
    # (lms/certificates/review.py): an admin reviews it, then clears the flag or revokes.
    flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    flag_reason: str | None = Field(default=None, max_length=500)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def revoke_category_label(self) -> str:
        return REVOKE_CATEGORIES.get(self.revoke_category or "", "未注明")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def flagged(self) -> bool:
        """Under review: still valid, but the hours behind it were corrected below its requirement."""
        return self.flagged_at is not None and self.revoked_at is None


class SerialCounter(SQLModel, table=True):
    """The last serial number used per issuing organisation and year of issue.

    Allocated with one UPDATE … SET last = last + 1 … RETURNING, so two issuers never get
    the same number; the first of a year inserts the row (a unique clash retries the UPDATE).
    """

    __tablename__ = "certificate_serial"

    issuer_org_id: int = Field(foreign_key="organization.id", primary_key=True)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = Field(default=0)


class BatchJob(SQLModel, table=True):
    """A batch print run in the background: progress for the page, the results when done."""

    __tablename__ = "certificate_batch"

    id: int | None = Field(default=None, primary_key=True)
    created_by_id: int = Field(foreign_key="user.id", index=True)
    org_id: int = Field(foreign_key="organization.id")
    kind: str = Field(max_length=10)
    course_id: int | None = Field(default=None, foreign_key="course.id")
    year: int
    user_ids: list = Field(default_factory=list, sa_type=sa.JSON)
    status: str = Field(default="queued", max_length=10)  # queued | running | done | failed
    total: int = Field(default=0)
    progress: int = Field(default=0)
    issued: int = Field(default=0)  # newly issued in this run
    skipped: list = Field(default_factory=list, sa_type=sa.JSON)  # names of members not eligible
    certificate_ids: list = Field(default_factory=list, sa_type=sa.JSON)
    error: str | None = Field(default=None, max_length=500)
    pdf: bytes | None = Field(default=None, sa_type=sa.LargeBinary, repr=False)
    zip: bytes | None = Field(default=None, sa_type=sa.LargeBinary, repr=False)
    created_at: datetime = Field(default_factory=utcnow_default, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
