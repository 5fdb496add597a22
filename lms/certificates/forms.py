from __future__ import annotations

from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from lms.certificates.models import REVOKE_CATEGORIES
from lms.orgs.forms import choice
from lms.web import CheckedForm


class RevokeForm(CheckedForm):
    category = RadioField(
        "撤销类别", choices=[choice(k, v) for k, v in REVOKE_CATEGORIES.items()], validate_choice=False,  # AnyOf says it in Chinese
        validators=[InputRequired("请选择撤销类别。"), AnyOf(list(REVOKE_CATEGORIES), message="请选择撤销类别。")],
    )
    reason = TextAreaField(
        "撤销原因",
        validators=[DataRequired("请填写撤销原因。"), Length(max=500, message="撤销原因不能超过 500 字。")],
    )


class ReissueForm(CheckedForm):
    """A confirmation only (the CSRF token): what is issued follows from the revoked certificate."""


class ClearFlagForm(CheckedForm):
    note = TextAreaField(
        "复核意见",
        validators=[DataRequired("请填写复核意见。"), Length(max=500, message="复核意见不能超过 500 字。")],
    )


class VerifyForm(CheckedForm):
    class Meta:
        csrf = False  # a public GET form

    code = StringField("验证码", validators=[DataRequired("请输入证书上的验证码。")])
