"""Batch printing: pick members (or all eligible in a branch), issue what is missing, and
produce one PDF (one certificate per page) and a ZIP of the individual PDFs.

A run is a BatchJob row worked through by a background thread, committing its progress
after every member so the progress page can show it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from lms import clock
from lms.access import Scope
from lms.auth.models import User
from lms.certificates import services
from lms.certificates.eligibility import Entitlement, entitlement_for
from lms.certificates.models import BatchJob, Certificate
from lms.db import cli_session
from lms.orgs.models import Organization
from lms.orgs.services import get_org

log = logging.getLogger("lms.certificates")


@dataclass(frozen=True)
class Row:
    member: User
    entitlement: Entitlement | None
    cert: Certificate | None

    @property
    def printable(self) -> bool:
        return (self.cert is not None and not self.cert.revoked) or (self.cert is None and self.entitlement is not None)


def members_of(*, session: Session, scope: Scope, org: Organization) -> list[User]:
    sub = sa.select(Organization.id).where(Organization.path.startswith(org.path, autoescape=True))
    return list(
        session.exec(
            select(User)
            .where(scope.user_filter(), User.org_id.in_(sub), User.active.is_(True))
            .order_by(User.org_id, User.member_no, User.name)
        )
    )


def rows_for(*, session: Session, scope: Scope, org_id: int, kind: str, course_id: int | None,
             year: int) -> list[Row]:
    """Every member of the organisation in scope, with their eligibility and certificate."""
    org = get_org(session=session, scope=scope, org_id=org_id)
    members = members_of(session=session, scope=scope, org=org)
    key = services.subject_key(kind, course_id=course_id, year=year)
    certs = {
        c.user_id: c
        for c in session.exec(
            select(Certificate).where(Certificate.subject_key == key, Certificate.user_id.in_([m.id for m in members]))
            .order_by(Certificate.revoked_at.is_(None), Certificate.id)  # the valid one, else the latest, wins
        )
    }
    return [
        Row(
            member=m,
            cert=certs.get(m.id),
            entitlement=None if m.id in certs else entitlement_for(
                session=session, user_id=m.id, kind=kind, course_id=course_id, year=year
            ),
        )
        for m in members
    ]


def create_job(*, session: Session, scope: Scope, by: User, org_id: int, kind: str, course_id: int | None,
               year: int, user_ids: list[int] | None) -> BatchJob:
    """user_ids None means "all eligible in this organisation"; others must be in scope."""
    rows = rows_for(session=session, scope=scope, org_id=org_id, kind=kind, course_id=course_id, year=year)
    if user_ids is None:
        chosen = [r.member.id for r in rows if r.printable]
    else:
        allowed = {r.member.id for r in rows}
        if any(uid not in allowed for uid in user_ids):
            raise NotFound()
        chosen = [r.member.id for r in rows if r.member.id in set(user_ids)]
    if not chosen:
        raise services.CertificateError("没有可打印的证书：所选党员尚不符合条件。")
    job = BatchJob(
        created_by_id=by.id, org_id=org_id, kind=kind, course_id=course_id, year=year,
        user_ids=chosen, total=len(chosen), created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    return job


def get_job(*, session: Session, user: User, job_id: int) -> BatchJob:
    job = session.get(BatchJob, job_id)
    if job is None or job.created_by_id != user.id:
        raise NotFound()
    return job


def run_job(app: Flask, job_id: int) -> None:
    """Work through a job (in a background thread, or inline). Commits after every member."""
    with app.app_context():
        try:
            _run(job_id)
        except Exception as exc:  # noqa: BLE001 — the job records the failure for the page
            log.exception("certificate batch %s failed", job_id)
            with cli_session() as session:
                job = session.get(BatchJob, job_id)
                job.status = "failed"
                job.error = f"生成失败：{type(exc).__name__}"
                job.finished_at = clock.now()
                session.add(job)


def _run(job_id: int) -> None:
    with cli_session() as session:
        job = session.get(BatchJob, job_id)
        job.status = "running"
        session.add(job)
        user_ids = list(job.user_ids)
        kind, course_id, year, by_id = job.kind, job.course_id, job.year, job.created_by_id
    cert_ids: list[int] = []
    skipped: list[str] = []
    issued = 0
    for n, uid in enumerate(user_ids, start=1):
        with cli_session() as session:
            member = session.get(User, uid)
            cert = services.find_existing(session=session, user_id=uid, kind=kind, course_id=course_id, year=year)
            if cert is None:
                ent = entitlement_for(session=session, user_id=uid, kind=kind, course_id=course_id, year=year)
                if ent is not None:
                    cert = services.issue(session=session, user=member, entitlement=ent,
                                          issued_by=session.get(User, by_id), at=clock.now())
                    issued += 1
            if cert is None or cert.revoked:
                skipped.append(member.name)
            else:
                session.flush()
                cert_ids.append(cert.id)
            job = session.get(BatchJob, job_id)
            job.progress, job.issued, job.skipped = n, issued, list(skipped)
            session.add(job)
    with cli_session() as session:
        certs = [session.get(Certificate, cid) for cid in cert_ids]
        job = session.get(BatchJob, job_id)
        job.certificate_ids = cert_ids
        if certs:
            job.pdf = services.combined_pdf(certs)
            job.zip = services.zip_of(certs)
        job.status = "done"
        job.finished_at = clock.now()
        session.add(job)


def start_job(job_id: int) -> threading.Thread | None:
    """Run the job in a background thread (or inline when CERT_BATCH_INLINE is set)."""
    app = current_app._get_current_object()
    if app.config.get("CERT_BATCH_INLINE"):
        run_job(app, job_id)
        return None
    thread = threading.Thread(target=run_job, args=(app, job_id), name=f"cert-batch-{job_id}", daemon=True)
    app.extensions.setdefault("lms_cert_threads", []).append(thread)
    thread.start()
    return thread
