"""Chinese and Arabic numerals, sentence durations, fine amounts and dates as judgments write them.

Judgments mix numeral systems freely: 一万二千, 壹仟, 1.5万, 2，000, and years written digit by
digit (二〇一八). Everything here returns plain numbers (months, yuan, dates) or raises
:class:`ValueError` for text that is not a numeral.
"""

from __future__ import annotations

import re
from datetime import date

import cn2an

__all__ = [
    "DURATION",
    "FINE_RE",
    "chinese_number",
    "cn_date",
    "cn_year",
    "duration_from_match",
    "fine_from_match",
    "make_date",
    "parse_duration_months",
    "parse_fine_yuan",
]

_CN_DIGITS = "零〇○一二两三四五六七八九十百千万亿壹贰贰叁肆伍陆柒捌玖拾佰仟"
_NUM = rf"[{_CN_DIGITS}\d]+"
# Year digits as typed in judgments, including the Latin, full-width and Greek look-alikes of 〇.
_YEAR_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "0": 0, "０": 0, "Ｏ": 0, "Ο": 0}
_YEAR_DIGITS.update({c: i for i, c in enumerate("一二三四五六七八九", start=1)})
_YEAR_DIGITS.update({str(i): i for i in range(10)})

#: A duration after 有期徒刑/拘役/管制/缓刑: 一年六个月, 一年零六个月, 四个月十五日, 六个(typo).
DURATION = (
    rf"(?:(?P<y>{_NUM})年)?(?:又|零)?"
    rf"(?:(?P<m>{_NUM})个?月|(?P<m2>{_NUM})个(?![月\u4e00-\u9fff]))?月?(?:又|零)?"
    rf"(?:(?P<d>{_NUM})(?:日|天))?"
)
_DURATION_RE = re.compile(DURATION)
#: A fine (罚金) amount, with groups ``amt`` and ``wan`` (the amount is in 万 yuan).
FINE_RE = re.compile(
    r"罚金(?:人民币|人民)?\s*(?P<amt>\d[\d,，.．]*|[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点]+)"
    r"\s*(?P<wan>万)?\s*元"
)


def chinese_number(text: str) -> float:
    """Convert a Chinese or Arabic numeral to a number.

    Parameters
    ----------
    text : str
        For example ``"一万二千"``, ``"壹仟"``, ``"两"``, ``"1.5"``, ``"20，000"``.

    Returns
    -------
    float
        The value.

    Raises
    ------
    ValueError
        If the text is not a numeral.
    """
    s = text.strip().replace(",", "").replace("，", "").replace("．", ".")
    if not s:
        raise ValueError("empty numeral")
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError) as exc:  # cn2an raises ValueError for non-numerals
        raise ValueError(f"not a numeral: {text!r}") from exc


def duration_from_match(m: re.Match[str]) -> float | None:
    """Months of a match of :data:`DURATION` (days as 1/30 month), or None if it is empty."""
    y, mo, mo2, d = m.group("y"), m.group("m"), m.group("m2"), m.group("d")
    if not (y or mo or mo2 or d):
        return None
    months = 0.0
    if y:
        months += 12 * chinese_number(y)
    if mo or mo2:
        months += chinese_number(mo or mo2)
    if d:
        months += chinese_number(d) / 30.0
    return months


def parse_duration_months(text: str) -> float:
    """Parse a sentence duration such as ``"一年六个月"`` or ``"拘役四个月十五日"`` into months.

    Days count as 1/30 month. A leading penalty name (有期徒刑, 拘役, 管制, 缓刑) is ignored.

    Parameters
    ----------
    text : str
        The duration text.

    Returns
    -------
    float
        Months (``18.0`` for 一年六个月, ``4.5`` for 四个月十五日).

    Raises
    ------
    ValueError
        If no duration is found.
    """
    s = re.sub(r"^\s*(?:判处|宣告)?(?:有期徒刑|拘役|管制|缓刑)", "", text)
    m = _DURATION_RE.match(s)
    value = duration_from_match(m) if m else None
    if value is None:
        raise ValueError(f"no duration in {text!r}")
    return value


def fine_from_match(m: re.Match[str]) -> float:
    """Yuan of a match of :data:`FINE_RE`."""
    amount = chinese_number(m.group("amt"))
    return amount * 10000.0 if m.group("wan") else amount


def parse_fine_yuan(text: str) -> float:
    """Parse the first fine (罚金) amount in a text, in yuan.

    Parameters
    ----------
    text : str
        For example ``"并处罚金人民币五千元"``, ``"罚金1.5万元"`` or ``"罚金二万元"``; a bare amount
        (``"人民币五千元"``) is also accepted.

    Returns
    -------
    float
        The amount in yuan, or 0.0 when no fine is stated.
    """
    m = FINE_RE.search(text if "罚金" in text else "罚金" + text.replace("人民币", "", 1))
    return fine_from_match(m) if m else 0.0


def cn_year(s: str) -> int | None:
    """A year written digit by digit (``"二〇一八"``, ``"2O18"``), or None if a digit is unknown."""
    digits = [_YEAR_DIGITS.get(c) for c in s]
    if any(d is None for d in digits):
        return None
    return int("".join(str(d) for d in digits))


def cn_date(m: re.Match[str]) -> date | None:
    """The date of a match with Chinese-numeral groups ``y``, ``m`` and ``d`` (二〇一八年六月六日)."""
    return make_date(
        cn_year(m.group("y")), int(chinese_number(m.group("m"))), int(chinese_number(m.group("d")))
    )


def make_date(y: int | None, m: int, d: int) -> date | None:
    """The date, or None when the year is unknown or the day does not exist."""
    if y is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None
