"""Extract one row per defendant from Chinese first-instance criminal judgments (刑事判决书).

The input is a JSON-lines file with one judgment per line (fields ``text_id`` and ``fd``, the
full judgment text, as in ``cjo_sample.jsonl``). :func:`extract_judgments` returns the offender
table of the data contract, a table of failures (malformed lines, documents without a usable
defendant, life or death sentences) and a per-field coverage table.

How a judgment is read
----------------------
* **Header** (before the prosecution paragraph): court, case number, and the 被告人 entries in
  order (name, sex, birth date, ethnicity, education).
* **判决如下 section** (the last one in the text; appellate judgments first quote the original
  judgment): numbered items that start with 维持/撤销/驳回 are skipped, the rest are split at
  each defendant's ``<name>犯`` so that sentence, probation and fine are read per defendant. A
  决定执行 (combined) term and the fine stated with it take precedence over per-charge terms.
* **Reasoning** (from 本院认为 to the statutory basis 依照…之规定): flags are attributed to the
  defendant(s) named in the clause, or to the subject carried over from the previous clause
  ("被告人甲、乙系从犯", "三被告人均…"). Defence or prosecution claims count only when the
  court accepts them (予以采纳 …); rejected claims (不予采纳, 不能成立 …) and explicit negations
  (不构成自首, 并非从犯 …) make the flag false. The court's fact findings (not the parties'
  statements or evidence lists) also count for restitution, confession, an explicit 自首 and
  plea leniency (a 认罪认罚 stated by the prosecution counts, one claimed only by the defence
  does not); juvenile is also set from the birth date and the earliest offence date; for
  single-defendant judgments the cited articles (67(1) surrender, 67(3) confession, 65
  recidivism, 27 accessory, 23 attempt, 17 juvenile, 19 disability) are used as a fallback,
  except that 67(3) is not read as 坦白 when the court credits only an at-trial admission as a
  discretionary (酌情) factor and no admission after arrest is recorded.
* **Value chains and target** come from a TOML rule table (see
  ``ccmodels/resources/chain_rules.toml``), overridable with ``rules=``.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import cn2an
import numpy as np
import pandas as pd

from ccmodels.data.schema import CHAIN_COLUMNS, TARGETS, VALUE_CHAINS
from ccmodels.util import progress_bar

__all__ = [
    "COLUMNS",
    "FLAG_COLUMNS",
    "ChainRules",
    "ExtractionResult",
    "accuracy_table",
    "chinese_number",
    "disagreements",
    "extract_judgments",
    "load_chain_rules",
    "parse_duration_months",
    "parse_fine_yuan",
    "parse_judgment",
]

#: Court-found flags (booleans) of the data contract.
FLAG_COLUMNS: tuple[str, ...] = (
    "surrender",
    "confession",
    "accessory",
    "recidivist",
    "juvenile",
    "restitution",
    "plea_leniency",
    "attempted",
    "disability",
)
CHAIN_NAMES: tuple[str, ...] = VALUE_CHAINS
CHAIN_FLAG_COLUMNS: tuple[str, ...] = CHAIN_COLUMNS
TARGET_CATEGORIES: tuple[str, ...] = TARGETS
ARTICLE_CATEGORIES: tuple[str, ...] = (
    "285-1",
    "285-2",
    "285-3",
    "286",
    "286-1",
    "287-1",
    "287-2",
    "other",
)
SENTENCE_CATEGORIES: tuple[str, ...] = ("fixed_term", "detention", "control", "fine_only", "exempt")

#: Output columns, in order.
COLUMNS: tuple[str, ...] = (
    "doc_id",
    "case_id",
    "defendant",
    "name",
    "year",
    "court",
    "province",
    "judgment_date",
    "female",
    "birth_date",
    "age",
    "ethnicity",
    "education",
    "charges",
    "article",
    "sentence_type",
    "term_months",
    "probation",
    "probation_months",
    "fine_yuan",
    *FLAG_COLUMNS,
    *CHAIN_FLAG_COLUMNS,
    "target",
)

#: Cyber charges and their article codes (the first cyber charge of a defendant decides).
CYBER_ARTICLES: dict[str, str] = {
    "非法侵入计算机信息系统罪": "285-1",
    "非法获取计算机信息系统数据、非法控制计算机信息系统罪": "285-2",
    "非法获取计算机信息系统数据罪": "285-2",
    "非法控制计算机信息系统罪": "285-2",
    "提供侵入、非法控制计算机信息系统程序、工具罪": "285-3",
    "破坏计算机信息系统罪": "286",
    "拒不履行信息网络安全管理义务罪": "286-1",
    "非法利用信息网络罪": "287-1",
    "帮助信息网络犯罪活动罪": "287-2",
}

# ---------------------------------------------------------------------------------------------
# Numbers and durations
# ---------------------------------------------------------------------------------------------

_CN_DIGITS = "零〇○一二两三四五六七八九十百千万亿壹贰贰叁肆伍陆柒捌玖拾佰仟"
_NUM = rf"[{_CN_DIGITS}\d]+"
_YEAR_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "0": 0, "０": 0, "Ｏ": 0, "Ο": 0}
_YEAR_DIGITS.update({c: i for i, c in enumerate("一二三四五六七八九", start=1)})
_YEAR_DIGITS.update({str(i): i for i in range(10)})

# A duration after 有期徒刑/拘役/管制/缓刑: 一年六个月, 一年零六个月, 四个月十五日, 六个(typo).
_DURATION = (
    rf"(?:(?P<y>{_NUM})年)?(?:又|零)?"
    rf"(?:(?P<m>{_NUM})个?月|(?P<m2>{_NUM})个(?![月\u4e00-\u9fff]))?月?(?:又|零)?"
    rf"(?:(?P<d>{_NUM})(?:日|天))?"
)
_DURATION_RE = re.compile(_DURATION)
_FINE_RE = re.compile(
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


def _duration_from_match(m: re.Match[str]) -> float | None:
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
    value = _duration_from_match(m) if m else None
    if value is None:
        raise ValueError(f"no duration in {text!r}")
    return value


def _fine_from_match(m: re.Match[str]) -> float:
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
    m = _FINE_RE.search(text if "罚金" in text else "罚金" + text.replace("人民币", "", 1))
    return _fine_from_match(m) if m else 0.0


# ---------------------------------------------------------------------------------------------
# Fixed vocabularies
# ---------------------------------------------------------------------------------------------

_PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京", "北京市"),
    ("天津", "天津市"),
    ("上海", "上海市"),
    ("重庆", "重庆市"),
    ("河北", "河北省"),
    ("山西", "山西省"),
    ("辽宁", "辽宁省"),
    ("吉林", "吉林省"),
    ("黑龙江", "黑龙江省"),
    ("江苏", "江苏省"),
    ("浙江", "浙江省"),
    ("安徽", "安徽省"),
    ("福建", "福建省"),
    ("江西", "江西省"),
    ("山东", "山东省"),
    ("河南", "河南省"),
    ("湖北", "湖北省"),
    ("湖南", "湖南省"),
    ("广东", "广东省"),
    ("海南", "海南省"),
    ("四川", "四川省"),
    ("贵州", "贵州省"),
    ("云南", "云南省"),
    ("陕西", "陕西省"),
    ("甘肃", "甘肃省"),
    ("青海", "青海省"),
    ("台湾", "台湾省"),
    ("内蒙古", "内蒙古自治区"),
    ("广西", "广西壮族自治区"),
    ("西藏", "西藏自治区"),
    ("宁夏", "宁夏回族自治区"),
    ("新疆", "新疆维吾尔自治区"),
)
# Province codes of case numbers in the 2016+ format, e.g. （2018）闽0102刑初389号.
_CASE_CODES: dict[str, str] = {
    "京": "北京市",
    "津": "天津市",
    "沪": "上海市",
    "渝": "重庆市",
    "冀": "河北省",
    "晋": "山西省",
    "辽": "辽宁省",
    "吉": "吉林省",
    "黑": "黑龙江省",
    "苏": "江苏省",
    "浙": "浙江省",
    "皖": "安徽省",
    "闽": "福建省",
    "赣": "江西省",
    "鲁": "山东省",
    "豫": "河南省",
    "鄂": "湖北省",
    "湘": "湖南省",
    "粤": "广东省",
    "琼": "海南省",
    "川": "四川省",
    "黔": "贵州省",
    "云": "云南省",
    "陕": "陕西省",
    "甘": "甘肃省",
    "青": "青海省",
    "内": "内蒙古自治区",
    "桂": "广西壮族自治区",
    "藏": "西藏自治区",
    "宁": "宁夏回族自治区",
    "新": "新疆维吾尔自治区",
}
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

# ---------------------------------------------------------------------------------------------
# Precompiled patterns
# ---------------------------------------------------------------------------------------------

_CASE_ID_RE = re.compile(
    r"[（(]\s*(?P<year>(?:19|20)\d{2})\s*[）)][^，。；\s（）]{0,30}?刑[^，。；\s（）]{0,20}?号"
)
# Case numbers without the year, e.g. 格刑初字第117号 (the year is then taken from the date).
_CASE_ID_NOYEAR_RE = re.compile(
    r"(?<=判决书)\s*(?P<id>[\u4e00-\u9fff]{1,8}刑[\u4e00-\u9fff]{1,4}第?\d+号)"
)
_COURT_RE = re.compile(r"(?P<court>[\u4e00-\u9fff]{2,40}?法院)\s*刑事(?:附带民事)?判决书")
_COURT_ANY_RE = re.compile(r"[\u4e00-\u9fff]{2,40}?法院")
_SUPERIOR_RE = re.compile(r"向(?P<court>[\u4e00-\u9fff]{2,30}?中级人民法院)")
_PROSECUTOR_RE = re.compile(r"公诉机关[：:]?(?P<p>[\u4e00-\u9fff]{2,30}?人民检察院)")
_HEADER_END_RE = re.compile(
    r"检察院(?:以|于|指控|起诉|向本院)|公诉机关以|人民法院审理|被控|一案|提起公诉|审理终结|经审理查明"
    r"|指控|本院认为"
)
# A defendant entry of the header: 被告人X， / 上诉人（原审被告人）X， / 被告人：X。
_DEFENDANT_RE = re.compile(
    r"(?:^|(?<=[\s。；]))"
    r"(?:(?:原审上诉人|被上诉人|上诉人)(?:（[^（）]{0,20}）)?|原审被告人|被告人)[：:]?\s*"
    r"(?P<name>[^，,。；（(\s：:、]{1,20})(?=[，,。；（(\s：:]|$)"
)
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
_CN_DATE_RE = re.compile(
    r"(?P<y>[二〇○零0OΟＯ０一三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,2})月"
    r"(?P<d>[一二三四五六七八九十]{1,3})(?:日|号|无(?=\s))"
)
_ARABIC_DATE_RE = re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?")
_VERDICT_END_RE = re.compile(
    r"如不服本判决|如不服|本判决为终审判决|审\s*判\s*长|审\s*判\s*员|代理审判员|人民陪审员|书\s*记\s*员"
    r"|附[：:]|附相关|附本案|附：?本判决|［附|【附"
)
_ITEM_RE = re.compile(r"(?:^|(?<=[\s。；：]))[一二三四五六七八九十]{1,3}、")
_SKIP_ITEM_RE = re.compile(r"^\s*(?:维持|撤销|驳回|准许|核准)")
_PAREN_RE = re.compile(r"（[^（）]*）")
_PENALTY_RE = re.compile(r"(?P<kind>无期徒刑|死刑|有期徒刑|拘役|管制)" + _DURATION)
_COMBINED_RE = re.compile(
    r"(?:决定|合并)(?:合并)?执行\s*(?P<kind>无期徒刑|死刑|有期徒刑|拘役|管制)" + _DURATION
)
_PROBATION_RE = re.compile(r"\s*[，,]?\s*(?:并?宣告|适用)?缓刑" + _DURATION)
_EXEMPT_RE = re.compile(r"免予刑事处罚|免除刑事处罚|免予刑事处分|免于刑事处罚")
_CHARGE_RE = re.compile(r"犯(?P<c>[\u4e00-\u9fff、]{1,40}?罪)")
_BASIS_RE = re.compile(r"(?:依照|依据|根据|按照)《")
_LAW_TITLE_RE = re.compile(r"《[^《》]*》")
_CRIMINAL_LAW_RE = re.compile(r"《中华人民共和国刑法》(?P<body>[^《]*)")
_ARTICLE_REF_RE = re.compile(
    r"(?:第(?P<art>[一二三四五六七八九十百零]+)条(?P<zhi>之[一二三四五六七八九十])?)?"
    r"(?:第(?P<kuan>[一二三四五六七八九十、和及]+)款)?"
)

# Reasoning vocabulary.
_CLAIM_RE = re.compile(
    r"提出|辩称|辩解|辩护|上诉理由|上诉称|上诉提出|请求对|建议对|意见|主张|抗诉|机关认为|检察院认为"
)
# Paragraphs of the fact section that state a party's position rather than a finding.
_PARTY_PARAGRAPH_RE = re.compile(
    r"^[^。]{0,40}?(?:辩护人|辩称|辩解|辩护意见|上诉|机关认为|检察院认为|公诉意见|抗诉)"
)
# Whose position such a paragraph states: the first party named decides ("被告人供述与辩解" is
# the name of an evidence item, not the defence speaking).
_PARTY_KIND_RE = re.compile(
    r"^[^。]{0,40}?(?:(?P<defence>辩护人|辩称|辩护意见|(?<!供述与)(?<!供述和)辩解)"
    r"|上诉|机关认为|检察院认为|公诉意见|抗诉)"
)
# "关于/对于/针对…" opens a claim, except "针对本笔事实" (a pointer to the facts just stated).
_CLAIM_START_RE = re.compile(
    r"^\s*(?:关于|对于|针对)(?!(?:本|该|此|这|上述|以上|前述)[笔起节次项宗]?(?:犯罪)?事实)"
)
_ACCEPT_RE = re.compile(
    r"予以采纳|予以支持|予以认可|予以确认|可予采纳|本院采纳|予以采信|应予采纳|依法采纳|酌情采纳"
    r"|可以采纳|可予支持|予以考虑|酌情考虑|(?<!不)(?<!不能)成立|属实|(?<!不)相符|符合法律规定"
)
_REJECT_RE = re.compile(
    r"不予采纳|不予支持|不予认可|不予确认|不予采信|不能成立|不成立|不予考虑|不符|不能认定"
    r"|不应认定|无事实|无法律|没有事实|没有法律|缺乏|理由不足|证据不足|不足以|不能采纳|不宜采纳"
    r"|不能支持|不予认定|本院不予|不能作为|不宜"
)
_COURT_REFUSAL_RE = re.compile(r"不宜[^，。；]{0,6}从轻|不予从轻|不能作为[^，。；]{0,10}从轻")
_EVIDENCE_RE = re.compile(r"证据|证言|笔录|证实|足以认定|书证|物证")
_ENUM_RE = re.compile(
    r"^\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3}|（[一二三四五六七八九十\d]{1,3}）)[、.．]?"
)
_ALL_DEFENDANTS_RE = re.compile(
    r"(?:(?P<k>[二两三四五六七八九十])|各|全体|上述|以上|所有|本案)名?(?:被告人|上诉人)"
)
_GROUP_SIZE = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": 2}
_JOIN_RE = re.compile(r"^(?:[、和与及]|、?被告人|[和与及]被告人)$")
# Negations before a keyword: strong ones may be further away ("不能认定其系共同犯罪中的从犯").
_NEG_STRONG = (
    r"(?:不构成|不能认定|不应认定|不予认定|不认定|不宜认定|不能视为|不属于|并非|不具有|不具备|不符合"
    r"|不存在|不成立|不能成立)[^，。；]{0,12}$"
)
_NEG_BEFORE = r"(?:不属|不是|没有|无|未|不能|拒不|不愿|尚未|不予|不区分|不分|区分主|分主)"
_NEG_AFTER_RE = re.compile(
    r"^[^，。；]{0,8}?(?:不能成立|不成立|不予认定|不能认定|不予采纳|不予支持)"
)

_FLAG_RULES: dict[str, tuple[str, str, int]] = {
    # flag: (positive pattern, clause-level exclusion pattern, negation window)
    "surrender": (r"自首|以自首论|投案", r"解释|规定|是指", 4),
    "confession": (
        r"坦白|如实供述|如实交代|如实交待|如实供认|如实陈述",
        r"^(?!.*坦白).*(?:当庭|庭审中|庭审时|在庭审|开庭时|审理中|审理过程中)(?!.*(?:到案|归案))",
        4,
    ),
    "accessory": (r"胁从犯|从犯|次要作用|辅助作用", r"主从|是否", 4),
    "recidivist": (r"累犯", r"是否", 4),
    "juvenile": (
        r"(?:系|属于?|是|为)未成年人?(?!女)|(?:犯罪|作案|行为|案发)时[^，。；]{0,10}(?:未满|不满)(?:18|十八)周?岁"
        r"|(?:已满|年满)[^，。；]{1,8}(?:未满|不满)(?:18|十八)周?岁|未成年人犯罪",
        r"被害|对象|幼女|儿童|奸淫|猥亵|侵害|强奸|引诱|介绍|容留|雇佣|雇用|教唆",
        4,
    ),
    "restitution": (
        r"退赃|退赔|退缴|退还|退出|返还|赔偿|谅解|和解|弥补|偿还|归还|清退|还清"
        # Repairing the damage of an environmental crime (补种林木, 生态修复) is its restitution.
        r"|生态修复|修复生态|补种|补植|复绿",
        r"责令|追缴|追回|收缴|缴获|扣押|应当|应予|依法应|判令|要求|请求|索要|索赔|勒索|需要|"
        r"为由|名义|罚金|保证金|未退|民事诉讼原告人[^，]*诉讼请求|返还利息|返还本息|支付利息|返利"
        r"|判决|裁定|提起|另行|为偿还|用于偿还|用来偿还|用以偿还|为还清|用于还清|毒资"
        r"|要赔|须赔|需赔",
        6,
    ),
    "plea_leniency": (r"认罪认罚|认罪、认罚|具结(?!悔过)", r"不适用认罪认罚", 4),
    "attempted": (r"未遂|未得逞", r"是否|既遂", 4),
    "disability": (
        r"聋哑|又聋又哑|盲人|残疾",
        r"被害|对象|家|父|母|妻|夫|子女|儿|亲属|老人|照顾|抚养|赡养",
        4,
    ),
}
_FLAG_RES: dict[str, tuple[re.Pattern[str], re.Pattern[str], int]] = {
    k: (re.compile(p), re.compile(x), w) for k, (p, x, w) in _FLAG_RULES.items()
}
_NEG_BEFORE_RES: dict[int, re.Pattern[str]] = {
    w: re.compile(rf"{_NEG_STRONG}|{_NEG_BEFORE}[^，。；]{{0,{w}}}$|不$") for w in {4, 6}
}
# Flags that may also be read from the court's fact findings (not only from the reasoning).
_FACT_FLAGS = ("restitution", "confession", "plea_leniency", "surrender")
# In the facts, restitution must be described as something done after the offence.
_AFTER_OFFENCE_RE = re.compile(
    r"案发后|案发前|事发后|事后|归案后|到案后|审理|诉讼中|庭审|二审期间|一审期间|已|积极|主动|自愿|家属"
    r"|亲属|家人|代为|代其|谅解|达成|调解"
)
_SURRENDER_DENIED_RE = re.compile(r"不认定|不构成|不能认定|不应认定|不宜认定|不属于|不符合")
# Statute text quoted in the reasoning ("按…第六十七条第一款规定，“犯罪以后自动投案…是自首…”").
_STATUTE_QUOTE_RE = re.compile(r"规定[，,：:]?\s*“[^”]*”")
# A clause whose subject is another (pseudonymised) person: "案发后，郝某家属返还…".
_THIRD_PARTY_RE = re.compile(
    r"^\s*(?:案发后|案发前|事后|后|随后|同日|次日|其后|另)?(?P<n>[\u4e00-\u9fff]{1,2}某[某甲乙丙丁戊\d]*)"
)
# An admission the reasoning places at the trial and credits only as a discretionary factor
# ("在开庭审理中认罪态度好…可酌情从轻"), and one the judgment places after arrest
# ("归案后…供认不讳"). When the court credits only the former, a citation of art. 67(3) is not
# read as a 坦白 finding.
_TRIAL_ADMISSION_RE = re.compile(
    r"(?:当庭|庭审中|庭审时|在庭审|开庭时|开庭审理中|开庭审理时|审理中|审理过程中)"
    r"[^，。；]{0,8}?(?:认罪|供认|如实)[^。]*?(?:酌情|酌定)"
)
_PRETRIAL_ADMISSION_RE = re.compile(
    r"(?:(?:归案|到案|抓获|投案|传唤)(?:后|以后|之后)|侦查(?:阶段|期间|中|、))"
    r"[^。；]{0,30}?(?:供认|如实|交代|交待|承认|认罪)"
)
# Article (and paragraph) citations used as a fallback for single-defendant judgments.
_CITATION_FLAGS: dict[tuple[int, str | None], str] = {
    (67, "一"): "surrender",
    (67, "二"): "surrender",
    (67, "三"): "confession",
    (65, None): "recidivist",
    (66, None): "recidivist",
    (27, None): "accessory",
    (28, None): "accessory",
    (23, None): "attempted",
    (17, None): "juvenile",
    (19, None): "disability",
}


# ---------------------------------------------------------------------------------------------
# Rule table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def fires(self, text: str) -> bool:
        return any(k in text for k in self.keywords) and not any(x in text for x in self.exclude)


@dataclass(frozen=True)
class ChainRules:
    """The value-chain and target rule table (see ``resources/chain_rules.toml``).

    Attributes
    ----------
    chains : dict of str to _Rule
        One rule per value chain (``real_assets``, ``virtual_assets``, ``internet_resources``,
        ``gov_systems``).
    targets : dict of str to _Rule
        Target rules in priority order; the first that fires wins.
    require_context : bool
        Code chains and targets only for documents with a cyber context.
    context_keywords : tuple of str
        Keywords that establish the cyber context.
    source : str
        Where the table was read from.
    """

    chains: dict[str, _Rule]
    targets: dict[str, _Rule]
    require_context: bool
    context_keywords: tuple[str, ...]
    source: str = ""

    def code(self, text: str, cyber_conviction: bool = False) -> dict[str, Any]:
        """Code one document.

        Parameters
        ----------
        text : str
            The facts and reasoning of the judgment.
        cyber_conviction : bool
            Whether a defendant was convicted under arts. 285-287 (establishes the context).

        Returns
        -------
        dict
            ``chain_<name>`` booleans and ``target``.
        """
        out: dict[str, Any] = {f"chain_{c}": False for c in CHAIN_NAMES}
        out["target"] = "unknown"
        if self.require_context and not (
            cyber_conviction or any(k in text for k in self.context_keywords)
        ):
            return out
        for name, rule in self.chains.items():
            out[f"chain_{name}"] = rule.fires(text)
        for name, rule in self.targets.items():
            if rule.fires(text):
                out["target"] = name
                break
        return out


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return tuple(value)


def load_chain_rules(path: str | Path | None = None) -> ChainRules:
    """Load a value-chain/target rule table from TOML.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file with the layout of ``ccmodels/resources/chain_rules.toml``. By default the
        packaged table is used.

    Returns
    -------
    ChainRules
        The parsed table.

    Raises
    ------
    ValueError
        If a chain or target name is unknown or a keyword list is malformed.
    """
    if path is None:
        text = resources.files("ccmodels").joinpath("resources/chain_rules.toml").read_text("utf-8")
        source = "ccmodels/resources/chain_rules.toml"
    else:
        text = Path(path).read_text(encoding="utf-8")
        source = str(path)
    raw = tomllib.loads(text)
    settings = raw.get("settings", {})
    chains: dict[str, _Rule] = {}
    for name, spec in raw.get("chains", {}).items():
        if name not in CHAIN_NAMES:
            raise ValueError(f"{source}: unknown chain {name!r}; expected one of {CHAIN_NAMES}")
        chains[name] = _Rule(
            _str_tuple(spec.get("keywords"), f"chains.{name}.keywords"),
            _str_tuple(spec.get("exclude"), f"chains.{name}.exclude"),
        )
    targets: dict[str, _Rule] = {}
    for name, spec in raw.get("targets", {}).items():
        if name not in TARGET_CATEGORIES or name == "unknown":
            raise ValueError(
                f"{source}: unknown target {name!r}; expected one of {TARGET_CATEGORIES}"
            )
        targets[name] = _Rule(
            _str_tuple(spec.get("keywords"), f"targets.{name}.keywords"),
            _str_tuple(spec.get("exclude"), f"targets.{name}.exclude"),
        )
    return ChainRules(
        chains=chains,
        targets=targets,
        require_context=bool(settings.get("require_context", False)),
        context_keywords=_str_tuple(settings.get("context_keywords"), "settings.context_keywords"),
        source=source,
    )


# ---------------------------------------------------------------------------------------------
# Document sections
# ---------------------------------------------------------------------------------------------


@dataclass
class _Defendant:
    index: int
    name: str
    entry: str


@dataclass
class _Doc:
    doc_id: str
    text: str
    case_id: str | None = None
    year: int | None = None
    court: str | None = None
    province: str | None = None
    judgment_date: date | None = None
    header: str = ""
    defendants: list[_Defendant] = field(default_factory=list)
    facts: str = ""
    reasoning: str = ""
    basis: str = ""
    verdict: str = ""


def _normalise(text: str) -> str:
    table = str.maketrans({"(": "（", ")": "）", ";": "；", "\u3000": " ", "\xa0": " "})
    return text.translate(table)


def _cn_year(s: str) -> int | None:
    digits = [_YEAR_DIGITS.get(c) for c in s]
    if any(d is None for d in digits):
        return None
    return int("".join(str(d) for d in digits))


def _make_date(y: int | None, m: int, d: int) -> date | None:
    if y is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _province(court: str | None, case_id: str | None, text: str) -> str | None:
    candidates: list[str] = []
    if court:
        candidates.append(court)
    if case_id:
        m = re.search(r"[）)](?P<code>[\u4e00-\u9fff])\d{2,4}", case_id)
        if m and m.group("code") in _CASE_CODES:
            return _CASE_CODES[m.group("code")]
    candidates += [m.group("court") for m in _SUPERIOR_RE.finditer(text)]
    candidates += [m.group("p") for m in _PROSECUTOR_RE.finditer(text[:600])]
    for c in candidates:
        for short, full in _PROVINCES:
            if c.startswith(short):
                return full
    # Last resort: the province named most often in the document (addresses, prosecutors).
    counts = {full: text.count(full) for _, full in _PROVINCES}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None


def _split_sections(fd: str, doc_id: str) -> _Doc:
    text = _normalise(fd)
    doc = _Doc(doc_id=doc_id, text=text)
    # The case number follows the title 刑事判决书 (the first one may be a headline).
    m_case = None
    for m_title in re.finditer(r"判决书\s*", text[:500]):
        m_case = _CASE_ID_RE.match(text, m_title.end())
        if m_case:
            break
    if m_case is None:
        m_case = _CASE_ID_RE.search(text[:600])
    head_start = 0
    if m_case:
        doc.case_id = re.sub(r"\s+", "", m_case.group(0))
        doc.year = int(m_case.group("year"))
        head_start = m_case.end()
    else:
        m_alt = _CASE_ID_NOYEAR_RE.search(text[:400])
        if m_alt:
            doc.case_id = m_alt.group("id")
            head_start = m_alt.end()
    m_court = _COURT_RE.search(text[: (m_case.start() if m_case else 400) + 40])
    if m_court:
        court = m_court.group("court")
        court = re.split(r"判决书|裁定书", court)[-1]
        doc.court = court
    else:
        m_any = _COURT_ANY_RE.search(text[:300])
        doc.court = m_any.group(0) if m_any else None
    doc.province = _province(doc.court, doc.case_id, text)

    m_end = _HEADER_END_RE.search(text, head_start)
    head_end = m_end.start() if m_end else min(len(text), head_start + 1500)
    # Back up to the start of the sentence that contains the end marker.
    cut = max(text.rfind("。", head_start, head_end), text.rfind(" ", head_start, head_end))
    if cut > head_start and "被告人" in text[head_start:cut]:
        head_end = cut + 1
    doc.header = text[head_start:head_end]

    v_start = len(text)
    for m in reversed(list(re.finditer("判决如下", text))):
        # Skip drafting templates pasted into some documents ("判决如下：……（写明判决结果").
        if not re.search(r"……|写明|××", text[m.end() : m.end() + 30]):
            v_start = m.start()
            break
    m_vend = _VERDICT_END_RE.search(text, v_start)
    v_end = m_vend.start() if m_vend else len(text)
    doc.verdict = text[v_start + 4 : v_end] if v_start < len(text) else ""
    tail = text[v_end:]
    m_sign = re.search(r"书\s*记\s*员", tail)
    sign_part = tail[: m_sign.start()] if m_sign else tail[:400]
    dates = list(_CN_DATE_RE.finditer(sign_part)) or list(_CN_DATE_RE.finditer(doc.verdict))
    if dates:
        dm = dates[-1]
        doc.judgment_date = _make_date(
            _cn_year(dm.group("y")),
            int(chinese_number(dm.group("m"))),
            int(chinese_number(dm.group("d"))),
        )

    if doc.year is None and doc.judgment_date is not None:
        doc.year = doc.judgment_date.year
    r_start = text.find("本院认为", head_end)
    if r_start < 0 or r_start > v_start:
        r_start = v_start
    doc.facts = text[head_end:r_start]
    reasoning = text[r_start:v_start]
    basis_at = None
    for m in _BASIS_RE.finditer(reasoning):
        basis_at = m.start()
    if basis_at is not None:
        doc.reasoning, doc.basis = reasoning[:basis_at], reasoning[basis_at:]
    else:
        doc.reasoning = reasoning
    doc.defendants = _header_defendants(doc.header)
    return doc


def _clean_name(name: str) -> str:
    name = re.sub(r"^(?:自报|自称|又名)", "", name)
    return name.strip("“”\"'《》")


def _header_defendants(header: str) -> list[_Defendant]:
    hits: list[tuple[int, str]] = []
    for m in _DEFENDANT_RE.finditer(header):
        name = _clean_name(m.group("name"))
        if not name or (len(name) > 4 and re.search(r"[犯因系于被在的是]", name[1:])):
            continue
        hits.append((m.start(), name))
    out: list[_Defendant] = []
    seen: list[str] = []
    starts: list[int] = []
    for pos, name in hits:
        if any(name == s or name.startswith(s) for s in seen):
            continue
        seen.append(name)
        starts.append(pos)
        out.append(_Defendant(len(out), name, ""))
    for i, d in enumerate(out):
        end = starts[i + 1] if i + 1 < len(starts) else len(header)
        d.entry = header[starts[i] : end]
    return out


# ---------------------------------------------------------------------------------------------
# Personal details
# ---------------------------------------------------------------------------------------------


def _person_details(d: _Defendant, doc: _Doc) -> dict[str, Any]:
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
        birth = _make_date(int(y), int(mo), int(dd))
    else:
        mc = _BIRTH_CN_RE.search(entry)
        if mc:
            birth = _make_date(
                _cn_year(mc.group("y")),
                int(chinese_number(mc.group("m"))),
                int(chinese_number(mc.group("d"))),
            )
    if birth is None and len(doc.defendants) == 1:
        # The header sometimes omits the birth date; the evidence may quote the 户籍 record.
        mf = re.search(r"出生于(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日", doc.facts)
        if mf and "被害" not in doc.facts[max(0, mf.start() - 30) : mf.start()]:
            birth = _make_date(int(mf.group("y")), int(mf.group("m")), int(mf.group("d")))
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


def _offence_dates(facts: str) -> list[date]:
    out: list[date] = []
    for m in _ARABIC_DATE_RE.finditer(facts):
        after = facts[m.end() : m.end() + 3]
        before = facts[max(0, m.start() - 4) : m.start()]
        if "出生" in after or after.startswith("生") or "出生" in before:
            continue
        dt = _make_date(int(m.group("y")), int(m.group("m")), int(m.group("d") or 1))
        if dt:
            out.append(dt)
    return out


# ---------------------------------------------------------------------------------------------
# Sentences (判决如下)
# ---------------------------------------------------------------------------------------------


def _name_pattern(names: Sequence[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?P<name>{alts})(?![某甲乙丙丁戊己0-9０-９])")


def _verdict_segments(verdict: str, names: Sequence[str]) -> dict[str, str]:
    """Split the 判决如下 section into one text per defendant name."""
    bounds = [m.start() for m in _ITEM_RE.finditer(verdict)]
    if not bounds or bounds[0] != 0:
        bounds = [0, *bounds]
    items = [verdict[a:b] for a, b in zip(bounds, [*bounds[1:], len(verdict)], strict=True)]
    name_re = re.compile(
        "(?P<name>"
        + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        + r")(?![某甲乙丙丁戊己0-9０-９])(?:（[^（）]{0,10}）)?犯"
    )
    out: dict[str, list[str]] = {}
    for item in items:
        body = re.sub(r"^[一二三四五六七八九十]{1,3}、", "", item.strip())
        if _SKIP_ITEM_RE.match(body):
            continue
        hits = [m for m in name_re.finditer(item) if item[max(0, m.start() - 1)] != "对"]
        # Split where a different defendant's name starts a sentence clause.
        starts: list[tuple[int, str]] = []
        for m in hits:
            if not starts or starts[-1][1] != m.group("name"):
                starts.append((m.start(), m.group("name")))
        for k, (pos, name) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else len(item)
            out.setdefault(name, []).append(item[pos:end])
    return {k: "".join(v) for k, v in out.items()}


def _strip_parens(text: str) -> str:
    prev = None
    while prev != text:
        prev, text = text, _PAREN_RE.sub("", text)
    return text


def _charges(segment: str, name: str) -> list[str]:
    out: list[str] = []
    for m in _CHARGE_RE.finditer(segment):
        before = segment[max(0, m.start() - len(name) - 2) : m.start()]
        prev = segment[max(0, m.start() - 2) : m.start()]
        at_name = before.endswith(name)
        at_sep = prev[-1:] in ("，", ",", "；", "。", " ", "") if prev else True
        if not (at_name or at_sep):
            continue
        if at_name and before[: -len(name)].endswith("对"):
            continue
        if re.search(r"(?:原|前|之前|曾)$", segment[max(0, m.start() - 2) : m.start()]):
            continue
        after = segment[m.end() : m.end() + 6]
        if not re.match(r"[，,；\s]*(?:判处|免予|免除|免于|，|；|。|$)", after):
            continue
        c = m.group("c")
        if c not in out:
            out.append(c)
    return out


@dataclass
class _Sentence:
    sentence_type: str | None = None
    term_months: float = 0.0
    probation: bool = False
    probation_months: float = 0.0
    fine_yuan: float = 0.0
    failure: str | None = None


def _kind_type(kind: str) -> str:
    return {"有期徒刑": "fixed_term", "拘役": "detention", "管制": "control"}[kind]


def _parse_sentence(segment: str) -> _Sentence:
    s = _strip_parens(segment)
    out = _Sentence()
    combined = list(_COMBINED_RE.finditer(s))
    penalties = [m for m in _PENALTY_RE.finditer(s) if m.group("kind") in ("无期徒刑", "死刑")]
    penalties += [m for m in _PENALTY_RE.finditer(s) if _duration_from_match(m) is not None]
    penalties.sort(key=lambda m: m.start())
    chosen: re.Match[str] | None = None
    fine_from = 0
    if combined:
        chosen = combined[-1]
        fine_from = chosen.start()
    elif penalties:
        severity = {"死刑": 5, "无期徒刑": 4, "有期徒刑": 3, "拘役": 2, "管制": 1}
        chosen = penalties[0]
        for m in penalties[1:]:
            better = severity[m.group("kind")] > severity[chosen.group("kind")]
            same = m.group("kind") == chosen.group("kind")
            if better or (
                same and (_duration_from_match(m) or 0) > (_duration_from_match(chosen) or 0)
            ):
                chosen = m
    if chosen is not None and chosen.group("kind") in ("无期徒刑", "死刑"):
        out.failure = f"non-numeric sentence ({chosen.group('kind')})"
        return out
    fines = [m for m in _FINE_RE.finditer(s)]
    if chosen is not None:
        kind = chosen.group("kind")
        out.sentence_type = _kind_type(kind)
        months = _duration_from_match(chosen) or 0.0
        out.term_months = 0.0 if kind == "管制" else months
        mp = _PROBATION_RE.match(s, chosen.end())
        if mp and kind != "管制":
            pm = _duration_from_match(mp)
            if pm:
                out.probation, out.probation_months = True, pm
        after = [m for m in fines if m.start() >= fine_from]
        if combined and after:
            out.fine_yuan = _fine_from_match(after[0])
        else:
            out.fine_yuan = sum(_fine_from_match(m) for m in fines)
    elif fines:
        out.sentence_type = "fine_only"
        out.fine_yuan = sum(_fine_from_match(m) for m in fines)
    elif _EXEMPT_RE.search(s):
        out.sentence_type = "exempt"
    else:
        out.failure = "no sentence found in the 判决如下 section"
    return out


# ---------------------------------------------------------------------------------------------
# Flags (本院认为 and fact findings)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Mentions:
    """Finds the defendants a clause talks about."""

    name_re: re.Pattern[str] | None
    index: dict[str, int]
    n: int

    def groups(
        self, clause: str, subject: frozenset[int] = frozenset()
    ) -> list[tuple[int, frozenset[int]]]:
        """Mention groups in a clause as (end position, defendant indices).

        Names joined by 、/和/与/及 form one group ("被告人甲、乙系从犯"). "各被告人" or "三被告人"
        (when there are three) mean everyone; "二被告人" among three means the last group of two.
        """
        hits: list[tuple[int, int, frozenset[int]]] = []
        if self.name_re is not None:
            hits += [
                (m.start(), m.end(), frozenset({self.index[m.group("name")]}))
                for m in self.name_re.finditer(clause)
            ]
        everyone = frozenset(range(self.n))
        for m in _ALL_DEFENDANTS_RE.finditer(clause):
            k = _GROUP_SIZE.get(m.group("k") or "", 0)
            if k == 0 or k >= self.n:
                who = everyone
            else:
                earlier = [h[2] for h in hits if h[0] < m.start()]
                candidates = [g for g in [*earlier[-1:], subject] if len(g) == k]
                if not candidates:
                    continue
                who = candidates[0]
            hits.append((m.start(), m.end(), who))
        third = _THIRD_PARTY_RE.match(clause)
        if third and not any(
            third.group("n").startswith(name) or name.startswith(third.group("n"))
            for name in self.index
        ):
            hits.append((third.start("n"), third.end("n"), frozenset()))
        hits.sort(key=lambda h: h[0])
        groups: list[list[Any]] = []
        for start, end, who in hits:
            if groups and _JOIN_RE.match(clause[groups[-1][1] : start] or "、"):
                groups[-1][1] = end
                groups[-1][2] = groups[-1][2] | who
            else:
                groups.append([start, end, who])
        return [(g[1], g[2]) for g in groups]


@dataclass
class _Segment:
    """A stretch of text between 。/；, with its clauses and claim structure."""

    clauses: list[str]
    claim_at: int  # index of the first clause that states a party's claim (len = none)
    verdict: str | None = None  # the court's answer to the claim: accept / reject / none
    # In the facts: "evidence" (evidence lists), "defence" (the defence's position) or "party"
    # (another party's position, e.g. the prosecution's).
    skip: str = ""


def _segments(text: str, facts: bool) -> list[_Segment]:
    """Split a block into segments; in the facts, mark evidence and party statements."""
    text = _STATUTE_QUOTE_RE.sub("规定", _LAW_TITLE_RE.sub("《》", text))
    if facts:
        text = _strip_parens(text)  # "（已返还被害人）" notes are police recoveries, not findings
    out: list[_Segment] = []
    for para in re.split(r"\s+", text):
        if not para:
            continue
        party = ""
        if facts and _PARTY_PARAGRAPH_RE.search(para):
            m_kind = _PARTY_KIND_RE.search(para)
            party = "defence" if m_kind and m_kind.group("defence") else "party"
        evidence = False
        for sentence in re.split(r"。", para):
            if facts:
                # An evidence list, and the numbered items that follow it in the paragraph.
                numbered = bool(_ENUM_RE.match(sentence))
                evidence = bool(_EVIDENCE_RE.search(sentence)) or (evidence and numbered)
            for seg in re.split(r"[；;]", sentence):
                if not seg.strip():
                    continue
                clauses = [c for c in re.split(r"[，,：:]", seg) if c.strip()]
                claim_at = len(clauses)
                for k, c in enumerate(clauses):
                    if _CLAIM_RE.search(c) or _CLAIM_START_RE.match(c):
                        claim_at = k
                        break
                claim_text = "，".join(clauses[claim_at:])
                verdict = None
                if claim_at < len(clauses):
                    if _REJECT_RE.search(claim_text):
                        verdict = "reject"
                    elif _ACCEPT_RE.search(claim_text):
                        verdict = "accept"
                skip = "evidence" if evidence else party
                out.append(_Segment(clauses, claim_at, verdict, skip))
    return out


def _keyword_hits(clause: str, year: int | None) -> list[tuple[int, str, bool]]:
    """Flag keywords in a clause: (position, flag, positive?)."""
    out: list[tuple[int, str, bool]] = []
    for flag, (pos_re, excl_re, window) in _FLAG_RES.items():
        for m in pos_re.finditer(clause):
            if flag == "plea_leniency" and m.group(0) == "具结" and (year or 0) < 2017:
                continue
            if (
                flag == "accessory"
                and m.group(0) == "从犯"
                and clause[max(0, m.start() - 1)] == "主"
            ):
                out.append((m.start(), flag, False))
                continue
            before = clause[: m.start()]
            negative = bool(_NEG_BEFORE_RES[window].search(before)) or bool(
                _NEG_AFTER_RE.match(clause[m.end() :])
            )
            if not negative and excl_re.search(clause):
                continue
            out.append((m.start(), flag, not negative))
    return out


@dataclass
class _FlagState:
    """Per defendant: flags the court found (pos) and flags it denied or rejected (neg)."""

    pos: dict[int, set[str]]
    neg: dict[int, set[str]]

    @classmethod
    def empty(cls, n: int) -> _FlagState:
        return cls({i: set() for i in range(n)}, {i: set() for i in range(n)})


def _scan_block(
    text: str,
    mentions: _Mentions,
    year: int | None,
    flags: Iterable[str],
    facts: bool,
) -> _FlagState:
    """Scan the reasoning (or the fact findings) for flags, per defendant.

    Within a segment, a party's claim (辩护人提出…, 公诉机关认为…) counts only if the court
    accepts it in the same segment or within the next three; a rejected claim counts as a
    denial unless the court itself finds the flag in the same segment. Local negations
    (不构成自首, 并非从犯, 未取得谅解) are denials.
    """
    wanted = set(flags)
    n = mentions.n
    state = _FlagState.empty(n)
    subject: frozenset[int] = frozenset(range(n))
    segs = _segments(text, facts)
    # Claims without an answer in their own segment: look at the next segments.
    inside_rejected: list[bool] = [False] * len(segs)
    for k, seg in enumerate(segs):
        if seg.claim_at >= len(seg.clauses) or seg.verdict is not None:
            continue
        seg.verdict = "none"
        for j in range(k + 1, min(k + 4, len(segs))):
            later = "，".join(segs[j].clauses)
            if _REJECT_RE.search(later):
                seg.verdict = "reject"
                for jj in range(k + 1, j):
                    if segs[jj].claim_at >= len(segs[jj].clauses):
                        inside_rejected[jj] = True
                break
            if _ACCEPT_RE.search(later):
                seg.verdict = "accept"
                break
    for k, seg in enumerate(segs):
        court_pos: dict[int, set[str]] = {i: set() for i in range(n)}
        claim_pos: dict[int, set[str]] = {i: set() for i in range(n)}
        denied: dict[int, set[str]] = {i: set() for i in range(n)}
        rejected: dict[int, set[str]] = {i: set() for i in range(n)}
        seg_text = "，".join(seg.clauses)
        refusal = bool(_COURT_REFUSAL_RE.search(seg_text))
        after_offence = bool(_AFTER_OFFENCE_RE.search(seg_text))
        confessed = bool(re.search(r"如实(?:供述|交代|交待|供认)", seg_text))
        for ci, clause in enumerate(seg.clauses):
            gs = mentions.groups(clause, subject)
            in_claim = ci >= seg.claim_at
            for pos, flag, positive in _keyword_hits(clause, year):
                if flag not in wanted:
                    continue
                # In the facts, 认罪认罚/具结 is procedural: the prosecution's statement of it
                # counts, but a defence submission ("辩护意见为…认罪认罚") is only a claim.
                procedural = facts and flag == "plea_leniency" and seg.skip in ("", "party")
                if seg.skip and not procedural:
                    continue
                if facts and flag == "restitution" and not after_offence:
                    continue
                if flag == "surrender" and "自首" not in clause[pos : pos + 4]:
                    # 投案 alone is surrender only with 如实供述 and no 不认定/不构成 nearby.
                    if facts or not confessed or _SURRENDER_DENIED_RE.search(seg_text):
                        continue
                preceding = [g for g in gs if g[0] <= pos]
                who = preceding[-1][1] if preceding else subject
                for i in who:
                    if not positive or (refusal and flag == "restitution"):
                        denied[i].add(flag)
                    elif procedural:
                        court_pos[i].add(flag)
                    elif in_claim:
                        if seg.verdict == "accept":
                            claim_pos[i].add(flag)
                        elif seg.verdict == "reject":
                            rejected[i].add(flag)
                    elif not inside_rejected[k]:
                        court_pos[i].add(flag)
            if gs:
                subject = gs[0][1]
        for i in range(n):
            found = (court_pos[i] | claim_pos[i]) - denied[i]
            state.pos[i] |= found
            state.neg[i] |= denied[i] | (rejected[i] - court_pos[i])
    return state


def _cited_articles(basis: str) -> set[tuple[int, str | None]]:
    out: set[tuple[int, str | None]] = set()
    for m in _CRIMINAL_LAW_RE.finditer(basis):
        art: int | None = None
        for a in _ARTICLE_REF_RE.finditer(m.group("body")):
            if a.group("art"):
                art = None
                if a.group("zhi"):
                    continue  # 第十七条之一 etc. are different articles
                try:
                    art = int(chinese_number(a.group("art")))
                except ValueError:
                    continue
                out.add((art, None))
            if art is not None and a.group("kuan"):
                for k in re.split(r"[、和及]", a.group("kuan")):
                    if k:
                        out.add((art, k))
    return out


def _flags(doc: _Doc, mentions: _Mentions) -> list[dict[str, bool]]:
    n = mentions.n
    reasoning = _scan_block(doc.reasoning, mentions, doc.year, FLAG_COLUMNS, facts=False)
    facts = _scan_block(doc.facts, mentions, doc.year, _FACT_FLAGS, facts=True)
    cited = _cited_articles(doc.basis)
    out: list[dict[str, bool]] = []
    for i in range(n):
        flags = {f: False for f in FLAG_COLUMNS}
        for f in FLAG_COLUMNS:
            if f in reasoning.pos[i]:
                flags[f] = True
            elif f in reasoning.neg[i]:
                flags[f] = False
            elif f in facts.pos[i]:
                flags[f] = True
        if n == 1:
            trial_only = bool(_TRIAL_ADMISSION_RE.search(doc.reasoning)) and not (
                _PRETRIAL_ADMISSION_RE.search(doc.facts + doc.reasoning)
            )
            for (art, kuan), f in _CITATION_FLAGS.items():
                if f == "confession" and trial_only:
                    continue  # 67(3) cited, but the court credits only an at-trial admission
                if (art, kuan) in cited and f not in reasoning.neg[i]:
                    flags[f] = True
        if flags["surrender"]:
            flags["confession"] = False
        out.append(flags)
    return out


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


def _article(charges: Sequence[str]) -> str:
    for c in charges:
        if c in CYBER_ARTICLES:
            return CYBER_ARTICLES[c]
    return "other"


def _parse_document(
    fd: str, doc_id: str, rules: ChainRules
) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse one judgment into rows (with private ``_sex_found``) and failure reasons."""
    doc = _split_sections(fd, doc_id)
    failures: list[str] = []
    if not doc.defendants:
        return [], ["no 被告人 found in the header"]
    names = [d.name for d in doc.defendants]
    segments = _verdict_segments(doc.verdict, names)
    verdict_name = {n: n for n in names}
    if not segments and len(doc.defendants) == 1 and doc.verdict:
        # Pseudonymisation sometimes differs between header and verdict (陈某 / 陈了磊).
        alt = re.search(
            r"(?:被告人|上诉人)(?:（[^（）]{0,20}）)?(?P<n>[^，。；\s（]{1,10}?)犯", doc.verdict
        )
        segments = {names[0]: doc.verdict}
        if alt:
            verdict_name[names[0]] = alt.group("n")
    mentions = _Mentions(
        _name_pattern(names), {d.name: d.index for d in doc.defendants}, len(doc.defendants)
    )
    flags = _flags(doc, mentions)
    offence = _offence_dates(doc.facts)
    all_charges: list[str] = []
    rows: list[dict[str, Any]] = []
    for d in doc.defendants:
        seg = segments.get(d.name)
        if seg is None:
            failures.append(f"defendant {d.index} ({d.name}): no sentence in the 判决如下 section")
            continue
        sentence = _parse_sentence(seg)
        if sentence.failure or sentence.sentence_type is None:
            failures.append(f"defendant {d.index} ({d.name}): {sentence.failure}")
            continue
        charges = _charges(_strip_parens(seg), verdict_name[d.name])
        all_charges += charges
        person = _person_details(d, doc)
        row: dict[str, Any] = {
            "doc_id": doc_id,
            "case_id": doc.case_id,
            "defendant": d.index,
            "name": d.name,
            "year": doc.year,
            "court": doc.court,
            "province": doc.province,
            "judgment_date": doc.judgment_date,
            **person,
            "charges": ";".join(charges) if charges else None,
            "article": _article(charges),
            "sentence_type": sentence.sentence_type,
            "term_months": float(sentence.term_months),
            "probation": sentence.probation,
            "probation_months": float(sentence.probation_months),
            "fine_yuan": float(sentence.fine_yuan),
            **flags[d.index],
        }
        birth = person["birth_date"]
        if not row["juvenile"] and birth is not None:
            ages = [(o - birth).days / 365.25 for o in offence]
            ages = [a for a in ages if a >= 12]
            at_judgment = row["age"]
            if (ages and min(ages) < 18) or (
                not ages and not math.isnan(at_judgment) and at_judgment < 18
            ):
                row["juvenile"] = True
        rows.append(row)
    cyber = any(c in CYBER_ARTICLES for c in all_charges)
    coded = rules.code(doc.facts + doc.reasoning, cyber_conviction=cyber)
    for row in rows:
        row.update(coded)
    return rows, failures


def parse_judgment(
    fd: str, doc_id: str, *, rules: ChainRules | str | Path | None = None
) -> list[dict[str, Any]]:
    """Parse one judgment text into one dict per defendant.

    Parameters
    ----------
    fd : str
        The full judgment text.
    doc_id : str
        The document id (``text_id``), copied to ``doc_id``.
    rules : ChainRules, str or Path, optional
        The value-chain/target rule table (default: the packaged table).

    Returns
    -------
    list of dict
        One dict per defendant with a usable sentence, in header order, with the keys of
        :data:`COLUMNS`. Defendants whose sentence cannot be read (or is life imprisonment or
        death) are left out; :func:`extract_judgments` reports them as failures.
    """
    table = rules if isinstance(rules, ChainRules) else load_chain_rules(rules)
    rows, _ = _parse_document(fd, doc_id, table)
    return [{k: r[k] for k in COLUMNS} for r in rows]


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

#: Fields reported in the coverage table.
COVERAGE_FIELDS: tuple[str, ...] = (
    "case_id",
    "name",
    "year",
    "court",
    "province",
    "judgment_date",
    "female",
    "birth_date",
    "age",
    "ethnicity",
    "education",
    "charges",
    "sentence_type",
)


@dataclass
class ExtractionResult:
    """What :func:`extract_judgments` found.

    Attributes
    ----------
    offenders : pandas.DataFrame
        One row per defendant, columns :data:`COLUMNS`.
    failures : pandas.DataFrame
        Columns ``line`` (1-based line number), ``doc_id`` and ``reason``: malformed lines,
        documents without a usable defendant, and defendants whose sentence could not be read
        (including life imprisonment and death, which have no numeric term).
    coverage : pandas.DataFrame
        Per field: ``found`` (defendants with the field), ``total`` and ``share``. ``female``
        counts defendants whose sex is stated; flags and amounts always have a value and are
        summarised as the share that is true (flags) or non-zero (amounts).
    n_documents : int
        Number of parsed documents (well-formed lines).
    """

    offenders: pd.DataFrame
    failures: pd.DataFrame
    coverage: pd.DataFrame
    n_documents: int = 0

    def coverage_text(self) -> str:
        """Return a readable coverage report.

        Returns
        -------
        str
            Documents, defendants, failures and the share of defendants with each field.
        """
        n_docs_rows = self.offenders["doc_id"].nunique() if len(self.offenders) else 0
        lines = [
            f"documents: {self.n_documents}  (with >=1 defendant: {n_docs_rows})",
            f"defendants: {len(self.offenders)}",
            f"failures: {len(self.failures)}",
            "",
            f"{'field':<28}{'found':>8}{'share':>9}",
        ]
        for name, row in self.coverage.iterrows():
            lines.append(f"{name!s:<28}{int(row['found']):>8}{row['share']:>9.1%}")
        if len(self.failures):
            lines += ["", "failures:"]
            for _, f in self.failures.iterrows():
                lines.append(f"  line {f['line']}: {f['doc_id']}: {f['reason']}")
        return "\n".join(lines)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame([{k: r[k] for k in COLUMNS} for r in rows], columns=list(COLUMNS))
    df["defendant"] = df["defendant"].astype("int64")
    df["year"] = (
        pd.array(df["year"], dtype="Int64")
        if df["year"].isna().any()
        else df["year"].astype("int64")
    )
    for col in ("judgment_date", "birth_date"):
        df[col] = pd.to_datetime(df[col])
    for col in ("age", "term_months", "probation_months", "fine_yuan"):
        df[col] = df[col].astype(float)
    for col in ("female", "probation", *FLAG_COLUMNS, *CHAIN_FLAG_COLUMNS):
        df[col] = df[col].astype(bool)
    df["article"] = pd.Categorical(df["article"], categories=list(ARTICLE_CATEGORIES))
    df["sentence_type"] = pd.Categorical(df["sentence_type"], categories=list(SENTENCE_CATEGORIES))
    df["target"] = pd.Categorical(df["target"], categories=list(TARGET_CATEGORIES))
    for col in ("doc_id", "case_id", "name", "court", "province", "ethnicity", "education"):
        df[col] = df[col].astype(object)
    return df


def _coverage(rows: list[dict[str, Any]], df: pd.DataFrame) -> pd.DataFrame:
    total = len(df)
    records = []
    for f in COVERAGE_FIELDS:
        if f == "female":
            found = sum(bool(r["_sex_found"]) for r in rows)
        else:
            found = int(df[f].notna().sum()) if total else 0
        records.append((f, found))
    for f in ("probation", *FLAG_COLUMNS, *CHAIN_FLAG_COLUMNS):
        records.append((f"{f} (true)", int(df[f].sum()) if total else 0))
    for f in ("term_months", "probation_months", "fine_yuan"):
        records.append((f"{f} (> 0)", int((df[f] > 0).sum()) if total else 0))
    if total:
        records.append(("target (not unknown)", int((df["target"] != "unknown").sum())))
        records.append(("article (cyber)", int((df["article"] != "other").sum())))
    cov = pd.DataFrame(records, columns=["field", "found"]).set_index("field")
    cov["total"] = total
    cov["share"] = cov["found"] / total if total else np.nan
    return cov


def extract_judgments(
    path: str | Path,
    *,
    progress: bool | None = None,
    rules: str | Path | ChainRules | None = None,
) -> ExtractionResult:
    """Extract the offender table from a JSON-lines file of judgments.

    Parameters
    ----------
    path : str or Path
        JSON lines with at least ``text_id`` and ``fd`` per line.
    progress : bool, optional
        Show a tqdm progress bar. By default it is shown when stderr is a terminal.
    rules : str, Path or ChainRules, optional
        The value-chain/target rule table; by default ``ccmodels/resources/chain_rules.toml``.

    Returns
    -------
    ExtractionResult
        Offenders, failures (with 1-based line numbers) and coverage.
    """
    table = rules if isinstance(rules, ChainRules) else load_chain_rules(rules)
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    n_docs = 0
    for lineno, line in progress_bar(
        enumerate(lines, start=1), desc="judgments", enabled=progress, total=len(lines)
    ):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            failures.append({"line": lineno, "doc_id": None, "reason": f"malformed JSON: {exc}"})
            continue
        if not isinstance(record, dict):
            failures.append({"line": lineno, "doc_id": None, "reason": "not a JSON object"})
            continue
        doc_id = record.get("text_id")
        fd = record.get("fd")
        if not isinstance(fd, str) or not fd.strip():
            failures.append({"line": lineno, "doc_id": doc_id, "reason": "missing field 'fd'"})
            continue
        n_docs += 1
        doc_rows, reasons = _parse_document(fd, str(doc_id), table)
        rows += doc_rows
        if not doc_rows and not reasons:
            reasons = ["no defendant with a sentence"]
        for reason in reasons:
            failures.append({"line": lineno, "doc_id": doc_id, "reason": reason})
    df = _frame(rows)
    # The principal charge (first convicted), for models grouped by charge.
    df.insert(
        df.columns.get_loc("charges") + 1,
        "charge",
        df["charges"].astype("string").str.split(";").str[0],
    )
    fail = pd.DataFrame(failures, columns=["line", "doc_id", "reason"])
    fail["line"] = fail["line"].astype("int64")
    return ExtractionResult(df, fail, _coverage(rows, df), n_docs)


# ---------------------------------------------------------------------------------------------
# Accuracy against hand labels
# ---------------------------------------------------------------------------------------------

_NUMERIC_LABELS = ("term_months", "probation_months", "fine_yuan")
_LABEL_FIELDS = (
    "sentence_type",
    "term_months",
    "probation",
    "probation_months",
    "fine_yuan",
    "female",
    *(f for f in FLAG_COLUMNS if f != "disability"),
)


def _as_bool(s: pd.Series) -> pd.Series:
    mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
    return s.astype(str).str.strip().str.lower().map(mapping)


def _merge_labels(
    labels_path: str | Path, result: ExtractionResult | pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    labels = pd.read_csv(labels_path, dtype={"doc_id": str})
    off = result.offenders if isinstance(result, ExtractionResult) else result
    merged = labels.merge(
        off, on=["doc_id", "defendant"], how="left", suffixes=("_label", ""), indicator=True
    )
    return merged, (merged["_merge"] == "both").to_numpy()


def _compare(
    merged: pd.DataFrame, found: np.ndarray
) -> list[tuple[str, pd.Series, pd.Series, np.ndarray]]:
    """Per label field: (field, label column, extracted column, correct mask)."""
    out = []
    for f in _LABEL_FIELDS:
        if f + "_label" not in merged.columns:
            continue
        lab, got = merged[f + "_label"], merged[f]
        if f in _NUMERIC_LABELS:
            diff = pd.to_numeric(lab, errors="coerce") - pd.to_numeric(got, errors="coerce")
            correct = (diff.abs() < 0.01).to_numpy()
        elif f == "sentence_type":
            correct = (lab.astype(str).str.strip() == got.astype(str)).to_numpy()
        else:
            correct = (_as_bool(lab) == _as_bool(got)).to_numpy()
        out.append((f, lab, got, correct & found))
    return out


def accuracy_table(
    labels_path: str | Path, result: ExtractionResult | pd.DataFrame
) -> pd.DataFrame:
    """Field-level accuracy of the extractor against hand labels.

    Parameters
    ----------
    labels_path : str or Path
        CSV with ``doc_id``, ``defendant`` and any of the label fields (``sentence_type``,
        ``term_months``, ``probation``, ``probation_months``, ``fine_yuan``, ``female`` and the
        flags).
    result : ExtractionResult or pandas.DataFrame
        The extraction (or its ``offenders`` table).

    Returns
    -------
    pandas.DataFrame
        Indexed by field: ``n`` labelled rows, ``matched`` (rows also extracted), ``correct``
        and ``accuracy`` (``correct / n``; a labelled row the extractor missed counts as wrong).
        Numbers agree when they differ by less than 0.01.
    """
    merged, found = _merge_labels(labels_path, result)
    records = [
        (f, len(merged), int(found.sum()), int(correct.sum()))
        for f, _, _, correct in _compare(merged, found)
    ]
    table = pd.DataFrame(records, columns=["field", "n", "matched", "correct"]).set_index("field")
    table["accuracy"] = table["correct"] / table["n"]
    return table


def disagreements(labels_path: str | Path, result: ExtractionResult | pd.DataFrame) -> pd.DataFrame:
    """List every labelled value that differs from the extraction (for review).

    Parameters
    ----------
    labels_path : str or Path
        The hand-label CSV (see :func:`accuracy_table`).
    result : ExtractionResult or pandas.DataFrame
        The extraction.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id``, ``defendant``, ``field``, ``label`` and ``extracted`` (missing when
        the labelled defendant was not extracted).
    """
    merged, found = _merge_labels(labels_path, result)
    out = []
    for f, lab, got, correct in _compare(merged, found):
        bad = ~correct
        for i in np.flatnonzero(bad):
            out.append(
                (
                    merged["doc_id"].iat[i],
                    int(merged["defendant"].iat[i]),
                    f,
                    lab.iat[i],
                    got.iat[i],
                )
            )
    return pd.DataFrame(out, columns=["doc_id", "defendant", "field", "label", "extracted"])
