from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms.web import CheckedForm


class VoidForm(CheckedForm):
    reason = StringField("不予认定的理由", validators=[DataRequired("请填写不予认定的理由。"),
                                                  Length(max=200, message="理由不超过 200 字。")])


class ClearForm(CheckedForm):
    note = StringField("核实说明（可不填）", validators=[Length(max=200, message="说明不超过 200 字。")])
