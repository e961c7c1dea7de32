"""Split a judgment into its sections and read the document-level facts of the header.

A first-instance judgment runs: title and case number, the 被告人 entries (the header), the
prosecution and the court's findings (the facts), 本院认为 (the reasoning), the statutory basis
(依照…之规定), 判决如下 (the verdict) and the signatures with the judgment date. :func:`split_sections`
cuts the text at those markers and reads court, case number, year, province and the defendants
named in the header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ccmodels.extract.numerals import cn_date

__all__ = ["Defendant", "Doc", "name_pattern", "split_sections", "strip_parens"]

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
_CN_DATE_RE = re.compile(
    r"(?P<y>[二〇○零0OΟＯ０一三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,2})月"
    r"(?P<d>[一二三四五六七八九十]{1,3})(?:日|号|无(?=\s))"
)
_VERDICT_END_RE = re.compile(
    r"如不服本判决|如不服|本判决为终审判决|审\s*判\s*长|审\s*判\s*员|代理审判员|人民陪审员|书\s*记\s*员"
    r"|附[：:]|附相关|附本案|附：?本判决|［附|【附"
)
_BASIS_RE = re.compile(r"(?:依照|依据|根据|按照)《")
_PAREN_RE = re.compile(r"（[^（）]*）")


@dataclass
class Defendant:
    """A defendant of the header: position, name and the text of the header entry."""

    index: int
    name: str
    entry: str


@dataclass
class Doc:
    """A judgment cut into sections, with the facts read from the header and signatures."""

    doc_id: str
    text: str
    case_id: str | None = None
    year: int | None = None
    court: str | None = None
    province: str | None = None
    judgment_date: date | None = None
    header: str = ""
    defendants: list[Defendant] = field(default_factory=list)
    facts: str = ""
    reasoning: str = ""
    basis: str = ""
    verdict: str = ""


def _normalise(text: str) -> str:
    table = str.maketrans({"(": "（", ")": "）", ";": "；", "\u3000": " ", "\xa0": " "})
    return text.translate(table)


def strip_parens(text: str) -> str:
    """Remove parenthesised notes, innermost first, until none is left."""
    prev = None
    while prev != text:
        prev, text = text, _PAREN_RE.sub("", text)
    return text


def name_pattern(names: Sequence[str], suffix: str = "") -> re.Pattern[str]:
    """A pattern for any of the names (group ``name``), followed by ``suffix``.

    Longer names are tried first, and a name does not match inside a longer pseudonym (张某 in
    张某甲 or 张某1).
    """
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?P<name>{alts})(?![某甲乙丙丁戊己0-9０-９]){suffix}")


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


def split_sections(fd: str, doc_id: str) -> Doc:
    """Cut a judgment text into header, facts, reasoning, basis and verdict.

    Parameters
    ----------
    fd : str
        The full judgment text.
    doc_id : str
        The document id.

    Returns
    -------
    Doc
        The sections, court, case number, year, province, judgment date and the defendants of
        the header (none when the header names no 被告人).
    """
    text = _normalise(fd)
    doc = Doc(doc_id=doc_id, text=text)
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
        doc.judgment_date = cn_date(dates[-1])

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


def _header_defendants(header: str) -> list[Defendant]:
    hits: list[tuple[int, str]] = []
    for m in _DEFENDANT_RE.finditer(header):
        name = _clean_name(m.group("name"))
        # A long "name" with a verb or particle after its first character is a phrase.
        if not name or (len(name) > 4 and re.search(r"[犯因系于被在的是]", name[1:])):
            continue
        hits.append((m.start(), name))
    out: list[Defendant] = []
    seen: list[str] = []
    starts: list[int] = []
    for pos, name in hits:
        # A name seen before, or one extending it, is the same defendant mentioned again.
        if any(name == s or name.startswith(s) for s in seen):
            continue
        seen.append(name)
        starts.append(pos)
        out.append(Defendant(len(out), name, ""))
    for i, d in enumerate(out):
        end = starts[i + 1] if i + 1 < len(starts) else len(header)
        d.entry = header[starts[i] : end]
    return out
