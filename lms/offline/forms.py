from __future__ import annotations

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.hours.forms import CnDateField, CnIntegerField
from lms.offline.models import SESSION_TYPES
from lms.orgs.forms import choice
from lms.web import CheckedForm


class SessionForm(CheckedForm):
    type = SelectField("类型", choices=[choice(t, t) for t in SESSION_TYPES], validate_choice=False)
    topic = StringField("主题", validators=[DataRequired("请填写主题。"), Length(max=200, message="主题不超过 200 字。")])
    held_on = CnDateField("日期")
    duration_hours = CnIntegerField("小时", validators=[Optional(), NumberRange(0, 10, "小时数应在 0 至 10 之间。")])
    duration_minutes = CnIntegerField("分钟", validators=[Optional(), NumberRange(0, 600, "分钟数应在 0 至 600 之间。")])
    place = StringField("地点", validators=[Length(max=200, message="地点不超过 200 字。")])
    confirm_duplicate = BooleanField("我已核对，这不是重复登记，仍然保存")
    revision = HiddenField()

    @property
    def total_minutes(self) -> int | None:
        h, m = self.duration_hours.data, self.duration_minutes.data
        if h is None and m is None:
            return None
        return (h or 0) * 60 + (m or 0)


class VoidForm(CheckedForm):
    reason = TextAreaField(
        "作废理由", validators=[DataRequired("请填写作废理由。"), Length(max=500, message="作废理由不超过 500 字。")]
    )
