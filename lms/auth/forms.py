from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.web import CheckedForm


class LoginForm(CheckedForm):
    login = StringField("党员编号或手机号", validators=[DataRequired("请输入党员编号或手机号。"), Length(max=32)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。")])
    remember = BooleanField("在这台设备上保持登录")
    submit = SubmitField("登录")


class ChangePasswordForm(CheckedForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码。")])
    new_password = PasswordField(
        "新密码", validators=[DataRequired("请输入新密码。"), Length(min=8, max=128, message="密码长度需在 8 到 128 位之间。")]
    )
    confirm = PasswordField(
        "确认新密码", validators=[DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")]
    )
    submit = SubmitField("修改密码")
