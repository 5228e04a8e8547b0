"""Checks of the identity data on units, applications (and later workers)."""
import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: the 18th character is the ISO 7064 MOD 11-2 check of the first 17 digits.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def resident_id_check_char(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def validate_resident_id(value: str) -> None:
    """An 18-character mainland resident ID: 17 digits, a valid birth date, the check character."""
    if not value:
        return
    text = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValidationError(_("身份证号应为 18 位：17 位数字加 1 位数字或 X。"), code="format")
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as error:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="birth") from error
    if resident_id_check_char(text[:17]) != text[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="checksum")


def validate_mobile(value: str) -> None:
    """A mainland mobile number (11 digits) or a landline with its area code."""
    if value and not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise ValidationError(_("请填写 11 位手机号码或带区号的固定电话。"), code="phone")
