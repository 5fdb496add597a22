from __future__ import annotations

from datetime import datetime

from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from lms.web import CheckedForm


class CnDateField(DateField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = datetime.strptime(valuelist[0].strip(), "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            raise ValueError("请按“年-月-日”填写日期，如 2025-03-01。") from None


class CnIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError("请填写整数。") from None


class SelfReportForm(CheckedForm):
    study_date = CnDateField("学习日期", validators=[InputRequired("请填写学习日期。")])
    minutes = CnIntegerField(
        "学习时长（分钟）",
        validators=[InputRequired("请填写学习时长。"), NumberRange(1, 480, "学习时长应在 1 至 480 分钟之间。")],
    )
    topic = StringField("学习内容", validators=[DataRequired("请填写学习内容。"), Length(max=200, message="学习内容不超过 200 字。")])
    place = TextAreaField(
        "学习地点或佐证材料",
        validators=[DataRequired("请填写学习地点或佐证材料。"), Length(max=500, message="不超过 500 字。")],
    )


class DecideForm(CheckedForm):
    """Approve: only the CSRF token."""


class RejectForm(CheckedForm):
    reason = StringField("不通过理由", validators=[DataRequired("请填写不通过的理由。"), Length(max=500, message="不超过 500 字。")])


class AdjustmentForm(CheckedForm):
    minutes = CnIntegerField(
        "调整分钟数（减少请填负数）",
        validators=[InputRequired("请填写调整分钟数。"), NumberRange(-6000, 6000, "调整分钟数的绝对值不超过 6000。")],
    )
    local_date = CnDateField("计入日期", validators=[InputRequired("请填写计入日期。")])
    reason = TextAreaField("调整理由", validators=[DataRequired("请填写调整理由。"), Length(max=500, message="不超过 500 字。")])
