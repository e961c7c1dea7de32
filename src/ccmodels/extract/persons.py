"""Personal details of each defendant: sex, birth date, age, ethnicity, education, minority.

They are read from the defendant's header entry ("被告人张某，男，1990年1月2日出生，汉族，初中文化
…"), with fallbacks to the rest of the judgment where the header leaves them out.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from ccmodels.extract.numerals import cn_date, make_date
from ccmodels.extract.sections import Defendant, Doc

__all__ = ["minor_at_offence", "offence_dates", "person_details"]

_ETHNIC_GROUPS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 "
    "水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 "
    "乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
_EDUCATION: dict[str, str] = {
    "文盲": "文盲",
    "半文盲": "文盲",
    "小学": "小学",
    "初小": "小学",
    "初中": "初中",
    "初级中学": "初中",
    "高中": "高中",
    "职高": "中专",
    "中专": "中专",
    "中技": "中专",
    "技校": "中专",
    "中等专业": "中专",
    "中学": "中学",
    "大专": "大专",
    "专科": "大专",
    "高职": "大专",
    "大学": "本科",
    "本科": "本科",
    "研究生": "研究生",
    "硕士": "研究生",
    "博士": "研究生",
}

_SEX_RE = re.compile(r"(?:^|[，,、\s（(])(?:性别[：:]?)?(?P<sex>[男女])(?:性)?(?=[，,。；\s）)]|$)")
_BIRTH_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:（[^（）]{0,30}）)?(?:出生|生)"
    r"|(?:出生(?:日期|于)?|生于)[：:]?(?P<y2>(?:19|20)\d{2})年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日"
)
# Partial birth dates ("1981年出生", "1974年10月出生") give an approximate age only.
_BIRTH_PARTIAL_RE = re.compile(r"(?P<y>(?:19|20)\d{2})年(?:(?P<m>\d{1,2})月)?(?:出生|生)")
_BIRTH_CN_RE = re.compile(
    r"(?P<y>[〇○零一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,2})月"
    r"(?P<d>[一二三四五六七八九十]{1,3})日(?:出生|生)"
)
_AGE_RE = re.compile(r"(?:^|[，,])(?P<age>\d{1,2})岁(?=[，,。])")
_ETHNIC_RE = re.compile(
    r"(?:^|[，,、\s])(?P<e>"
    + "|".join(sorted(_ETHNIC_GROUPS, key=len, reverse=True))
    + r")族(?=[，,。；\s]|$)"
)
_EDU_KEYS = "|".join(sorted(_EDUCATION, key=len, reverse=True))
_EDU_RE = re.compile(
    rf"(?P<a>{_EDU_KEYS})(?:文化|毕业|肄业|学历|程度)|文化程度[：:为]?(?P<b>{_EDU_KEYS})|(?P<c>文盲)"
)
_ARABIC_DATE_RE = re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?")


def person_details(d: Defendant, doc: Doc) -> dict[str, Any]:
    """Sex, birth date, age at judgment, ethnicity and education of one defendant.

    Parameters
    ----------
    d : Defendant
        The defendant, with its header entry.
    doc : Doc
        The judgment (for the judgment date and the fallbacks).

    Returns
    -------
    dict
        ``female``, ``birth_date``, ``age`` (years, NaN when unknown), ``ethnicity``,
        ``education``, and the private ``_sex_found`` (whether the sex is stated).
    """
    entry = d.entry
    out: dict[str, Any] = {"female": False, "_sex_found": False}
    m = _SEX_RE.search(entry)
    if m is None:
        m = re.search(re.escape(d.name) + r"（(?P<sex>[男女])）", doc.text)
    if m:
        out["female"] = m.group("sex") == "女"
        out["_sex_found"] = True
    birth: date | None = None
    mb = _BIRTH_RE.search(entry)
    if mb:
        y, mo, dd = (mb.group("y"), mb.group("m"), mb.group("d"))
        if y is None:
            y, mo, dd = (mb.group("y2"), mb.group("m2"), mb.group("d2"))
        birth = make_date(int(y), int(mo), int(dd))
    else:
        mc = _BIRTH_CN_RE.search(entry)
        if mc:
            birth = cn_date(mc)
    if birth is None and len(doc.defendants) == 1:
        # The header sometimes omits the birth date; the evidence may quote the 户籍 record.
        mf = re.search(r"出生于(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日", doc.facts)
        if mf and "被害" not in doc.facts[max(0, mf.start() - 30) : mf.start()]:
            birth = make_date(int(mf.group("y")), int(mf.group("m")), int(mf.group("d")))
    out["birth_date"] = birth
    age = math.nan
    if birth and doc.judgment_date:
        age = (doc.judgment_date - birth).days / 365.25
    elif (mp := _BIRTH_PARTIAL_RE.search(entry)) and doc.judgment_date:
        approx = date(int(mp.group("y")), int(mp.group("m") or 7), 1 if mp.group("m") else 2)
        age = (doc.judgment_date - approx).days / 365.25
    elif ma := _AGE_RE.search(entry):
        age = float(ma.group("age"))
    out["age"] = age
    me = _ETHNIC_RE.search(entry)
    out["ethnicity"] = me.group("e") + "族" if me else None
    md = _EDU_RE.search(entry)
    edu = None
    if md:
        key = md.group("a") or md.group("b") or md.group("c")
        edu = _EDUCATION.get(key)
    out["education"] = edu
    return out


def offence_dates(facts: str) -> list[date]:
    """Dates in the fact findings (``2018年5月2日``, ``2018年5月``), birth dates left out."""
    out: list[date] = []
    for m in _ARABIC_DATE_RE.finditer(facts):
        after = facts[m.end() : m.end() + 3]
        before = facts[max(0, m.start() - 4) : m.start()]
        if "出生" in after or after.startswith("生") or "出生" in before:
            continue
        dt = make_date(int(m.group("y")), int(m.group("m")), int(m.group("d") or 1))
        if dt:
            out.append(dt)
    return out


def minor_at_offence(birth: date | None, offences: list[date], age: float) -> bool:
    """Whether a defendant was under 18 at the earliest offence date.

    Dates before the defendant's twelfth birthday are left out: no one is criminally liable
    below 12 (art. 17), so they date something else. Without offence dates, the age at
    judgment decides.

    Parameters
    ----------
    birth : date or None
        The birth date; without it the answer is False.
    offences : list of date
        Dates from :func:`offence_dates`.
    age : float
        Age at judgment in years (NaN when unknown).

    Returns
    -------
    bool
        True when the dates show the defendant was a minor.
    """
    if birth is None:
        return False
    ages = [(o - birth).days / 365.25 for o in offences]
    ages = [a for a in ages if a >= 12]
    return bool(ages and min(ages) < 18) or (not ages and not math.isnan(age) and age < 18)
