"""A secretary imports a CSV with one bad row; an admin edits a member and reads the audit log."""

from __future__ import annotations

import pytest

from tests.e2e.test_browse import serious_violations


@pytest.fixture
def laptop(browser):
    """A secretary's laptop: the size these pages are mostly used at."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_secretary_import_with_one_bad_row_imports_nothing(laptop, live_server, tree, browser_login, shot):
    page = laptop
    browser_login(page, tree["sec1"])
    page.get_by_role("link", name="组织与党员").click()
    assert page.get_by_role("heading", name="第一支部").is_visible()
    assert page.get_by_role("link", name="党员甲").is_visible()
    shot(page, "roster-secretary")

    page.get_by_role("link", name="批量导入").click()
    assert page.get_by_role("link", name="Excel 模板（.xlsx）").is_visible()
    # Saved by a Chinese Excel: GBK. Line 3 has a phone number one digit short.
    data = (
        "姓名,党员编号,手机号,所在支部,角色\r\n"
        "周新民,D8101,13912348101,第一支部,党员\r\n"
        "吴小红,D8102,1391234810,第一支部,党员\r\n"
        "郑大海,D8103,13912348103,第一支部,\r\n"
    ).encode("gbk")
    page.get_by_label("名册文件（CSV 或 Excel .xlsx）", exact=True).set_input_files({"name": "新党员名册.csv", "mimeType": "text/csv", "buffer": data})
    page.get_by_role("button", name="上传并检查").click()
    alert = page.get_by_role("alert")
    assert "没有导入任何党员" in alert.inner_text()
    assert "第 3 行：手机号“1391234810”格式不正确" in alert.inner_text()
    assert "第 2 行" not in alert.inner_text() and "第 4 行" not in alert.inner_text()
    assert page.get_by_role("button", name="确认导入").count() == 0
    assert serious_violations(page) == []
    shot(page, "import-preview")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="组织与党员").click()
    for name in ("周新民", "吴小红", "郑大海"):
        assert page.get_by_role("link", name=name).count() == 0
    page.get_by_label("搜索党员").fill("D81")
    page.get_by_label("账号状态").select_option("all")
    page.get_by_role("button", name="搜索").click()
    assert page.get_by_text("没有找到党员。").is_visible()


def test_admin_edits_a_member_and_reads_the_audit_log(laptop, live_server, tree, browser_login, shot):
    page = laptop
    browser_login(page, tree["admin"])
    page.get_by_role("link", name="组织与党员").click()
    page.get_by_role("link", name="全部党员名册").click()
    assert page.get_by_role("cell", name="第二支部").first.is_visible()
    assert serious_violations(page) == []
    shot(page, "roster-admin")

    page.get_by_role("link", name="党员甲").click()
    page.get_by_role("link", name="编辑信息").click()
    page.get_by_label("手机号").fill("1380000")
    page.get_by_label("角色").select_option("secretary")
    page.get_by_role("button", name="保存修改").click()
    assert page.get_by_text("手机号“1380000”格式不正确").is_visible()
    assert page.get_by_label("手机号").input_value() == "1380000"  # kept as typed
    assert serious_violations(page) == []
    shot(page, "member-edit")
    page.get_by_label("手机号").fill("13800001234")
    page.get_by_role("button", name="保存修改").click()
    assert page.get_by_text("已保存修改。").is_visible()
    assert page.get_by_text("支部书记").first.is_visible()

    page.get_by_role("link", name="操作日志").click()
    assert page.get_by_role("heading", name="操作日志").is_visible()
    row = page.get_by_role("row").filter(has_text="修改党员信息")
    assert "管理员" in row.inner_text() and "13800001234" in row.inner_text() and "党员 → 支部书记" in row.inner_text()
    assert serious_violations(page) == []
    shot(page, "audit-log")
