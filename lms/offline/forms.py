from __future__ import annotations

import re
from datetime import time

from wtforms import BooleanField, Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import TimeInput

from lms.hours.forms import CnDateField, CnIntegerField
from lms.offline.models import SESSION_TYPES
from lms.orgs.forms import choice
from lms.web import CheckedForm


class CnTimeField(Field):
    """A local time of day as 时:分 (24-hour, "09:00"; a full-width colon is fine); blank is None.
    What was typed is shown again when it cannot be read. Not a text field: anything but a time is
    refused by its own parse, invisible characters included."""

    widget = TimeInput()

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not raw:
            return
        m = re.fullmatch(r"(\d{1,2})[:：](\d{2})(?::00)?", raw)
        if not m or int(m[1]) > 23 or int(m[2]) > 59:
            raise ValueError("请按“时:分”填写开始时间，如 09:00。")
        self.data = time(int(m[1]), int(m[2]))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""


class SessionForm(CheckedForm):
    type = SelectField("类型", choices=[choice(t, t) for t in SESSION_TYPES], validate_choice=False)
    topic = StringField("主题", validators=[DataRequired("请填写主题。"), Length(max=200, message="主题不超过 200 字。")])
    held_on = CnDateField("日期")
    start_time = CnTimeField("开始时间")
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


class RejectForm(CheckedForm):
    reason = TextAreaField(
        "不通过的理由", validators=[DataRequired("请填写不通过的理由。"), Length(max=500, message="理由不超过 500 字。")]
    )


class VoidForm(CheckedForm):
    reason = TextAreaField(
        "作废理由", validators=[DataRequired("请填写作废理由。"), Length(max=500, message="作废理由不超过 500 字。")]
    )
