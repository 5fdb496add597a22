from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.web import CheckedForm


class RevokeForm(CheckedForm):
    reason = TextAreaField(
        "撤销原因",
        validators=[DataRequired("请填写撤销原因。"), Length(max=500, message="撤销原因不能超过 500 字。")],
    )


class ClearFlagForm(CheckedForm):
    note = TextAreaField(
        "复核意见",
        validators=[DataRequired("请填写复核意见。"), Length(max=500, message="复核意见不能超过 500 字。")],
    )


class VerifyForm(CheckedForm):
    class Meta:
        csrf = False  # a public GET form

    code = StringField("验证码", validators=[DataRequired("请输入证书上的验证码。")])
