"""Issued means settled: the template version kept with each certificate, ZIP times in the
configured zone, and the 文件指纹 explained on the detail page."""

from __future__ import annotations

import io
import re
import shutil
import zipfile

from sqlmodel import select

from lms import clock
from lms.certificates import services, template_version
from lms.certificates.models import Certificate
from tests.certificates.conftest import REQUIRED, claim


def _issue(client, db, login, member, eligible):
    eligible.year(member, 2026, REQUIRED)
    login(member)
    assert claim(client, kind="annual", year=2026).status_code == 302
    with db() as s:
        return s.exec(select(Certificate)).one()


def test_a_certificate_records_the_template_version_it_was_rendered_with(client, db, login, tree, eligible, frozen):
    cert = _issue(client, db, login, tree["m1"], eligible)
    assert cert.template_version == template_version.current()
    assert re.fullmatch(r"[0-9a-f]{16}", cert.template_version)


def test_the_version_changes_with_the_template_css_or_artwork_and_only_then(tmp_path):
    copies = []
    for path in template_version.files():
        copy = tmp_path / path.name
        shutil.copyfile(path, copy)
        copies.append(copy)
    assert template_version.compute(copies) == template_version.current()  # the same bytes, the same version
    names = [p.name for p in copies]
    assert names[:2] == ["certificate.html", "certificate.css"] and "frame.svg" in names
    for copy in copies:
        original = copy.read_bytes()
        copy.write_bytes(original + b"\n")
        assert template_version.compute(copies) != template_version.current(), copy.name
        copy.write_bytes(original)


def test_zip_file_times_are_in_the_configured_zone(app, client, db, login, tree, eligible, frozen):
    cert = _issue(client, db, login, tree["m1"], eligible)  # issued 2026-06-15 02:00 UTC
    with app.app_context():
        zipped = zipfile.ZipFile(io.BytesIO(services.zip_of([cert])))
        assert zipped.infolist()[0].date_time == (2026, 6, 15, 10, 0, 0)  # Asia/Shanghai, the default
        clock.set_zone("America/New_York")
        try:
            zipped = zipfile.ZipFile(io.BytesIO(services.zip_of([cert])))
        finally:
            clock.set_zone(app.config["TIMEZONE"])
        (info,) = zipped.infolist()
        assert info.date_time == (2026, 6, 14, 22, 0, 0)  # the day before, in New York (EDT)
        assert zipped.read(info) == cert.pdf


def test_the_detail_page_explains_the_fingerprint_and_hides_the_hash_behind_a_disclosure(client, db, login,
                                                                                       tree, eligible, frozen):
    cert = _issue(client, db, login, tree["m1"], eligible)
    html = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert "文件校验值" not in html
    assert "<dt>文件指纹</dt>" in html and "是否就是本站签发的原件" in html
    details = re.search(r"<details>(.*?)</details>", html, re.S).group(1)
    assert "<summary>查看指纹（SHA-256）</summary>" in details and cert.sha256 in details
    assert html.count(cert.sha256) == 1
