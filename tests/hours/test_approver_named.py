"""Issue 12, point 5: a self-report names who really approves it."""

from __future__ import annotations


def test_a_members_report_goes_to_the_branch_secretary(client, tree, login):
    login(tree["m1"])
    page = client.get("/hours/self-reports").get_data(as_text=True)
    assert "经本支部书记或管理员审批通过后计入学时" in page


def test_a_secretarys_own_report_names_the_admin(client, tree, login):
    login(tree["sec1"])
    page = client.get("/hours/self-reports").get_data(as_text=True)
    assert "经管理员审批通过后计入学时" in page and "本支部书记" not in page


def test_a_secretary_under_a_committee_secretary(client, tree, login, make_user):
    make_user("secretary", tree["committee"].id, name="党委书记")
    login(tree["sec1"])
    page = client.get("/hours/self-reports").get_data(as_text=True)
    assert "经上级党组织书记或管理员审批通过后计入学时" in page
