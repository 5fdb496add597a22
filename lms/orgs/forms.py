from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.auth.models import ROLE_LABELS
from lms.web import CheckedForm, bounded_int

try:  # WTForms ≥ 3.3 declares options as SelectChoice (tuples are deprecated there)
    from wtforms.fields.choices import SelectChoice as _SelectChoice

    def choice(value, label):
        return _SelectChoice(value, label)
except ImportError:  # pragma: no cover - older WTForms

    def choice(value, label):
        return (value, label)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MemberForm(CheckedForm):
    name = StringField("姓名", filters=[_strip], validators=[DataRequired("请填写姓名。"), Length(max=50, message="姓名最多 50 个字。")])
    member_no = StringField("党员编号", filters=[_strip], validators=[Optional(), Length(max=32, message="党员编号最多 32 位。")])
    phone = TelField("手机号", filters=[_strip], validators=[Optional(), Length(max=20, message="手机号过长。")])
    role = SelectField("角色", choices=[], default="member")
    org_id = SelectField("所在支部", coerce=bounded_int, choices=[], validate_choice=False)

    def setup(self, *, roles: tuple[str, ...], branches: list | None) -> MemberForm:
        """Role choices the actor may grant (none: the field is removed) and branch choices (None: removed)."""
        if len(roles) > 1:
            self.role.choices = [choice(r, ROLE_LABELS[r]) for r in roles]
        else:
            del self.role
        if branches is None:
            del self.org_id
        else:
            self.org_id.choices = [choice(b.id, b.name) for b in branches]
        return self


class ConfirmForm(CheckedForm):
    """A POST with nothing but the CSRF token (deactivate, reactivate)."""


class ResetPasswordForm(CheckedForm):
    mode = RadioField(
        "新密码",
        choices=[choice("generate", "由系统生成随机密码（推荐）"), choice("manual", "由我设置一个初始密码")],
        default="generate",
    )
    password = StringField("初始密码", filters=[_strip], validators=[Optional(), Length(max=128)])

    def validate_password(self, field):
        if self.mode.data == "manual" and not field.data:
            raise ValidationError("请填写初始密码，或选择由系统生成。")


class MoveForm(CheckedForm):
    org_id = SelectField("调整到", coerce=bounded_int, choices=[], validate_choice=False)


class ImportForm(CheckedForm):
    file = FileField("名册文件（CSV 或 Excel .xlsx）", validators=[FileRequired("请选择要导入的文件。")])


class ImportConfirmForm(CheckedForm):
    token = HiddenField(validators=[DataRequired()])
