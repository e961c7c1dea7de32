"""Read each defendant's charges and sentence from the 判决如下 (verdict) section.

The verdict is split at each defendant's ``<name>犯`` into one text per defendant; numbered items
that uphold, quash or dismiss an earlier judgment (维持/撤销/驳回 …) are skipped. A 决定执行
(combined) term and the fine stated with it take precedence over per-charge terms. The number of
crimes the executed sentence combines (:func:`combined_charges`) counts the crimes convicted and
an earlier sentence joined to them (arts. 69-71).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ccmodels.extract.numerals import DURATION, FINE_RE, duration_from_match, fine_from_match
from ccmodels.extract.sections import name_pattern, strip_parens

__all__ = [
    "CYBER_ARTICLES",
    "Sentence",
    "article_of",
    "charges_of",
    "combined_charges",
    "parse_sentence",
    "verdict_segments",
]

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

_ITEM_RE = re.compile(r"(?:^|(?<=[\s。；：]))[一二三四五六七八九十]{1,3}、")
_SKIP_ITEM_RE = re.compile(r"^\s*(?:维持|撤销|驳回|准许|核准)")
_PENALTY_RE = re.compile(r"(?P<kind>无期徒刑|死刑|有期徒刑|拘役|管制)" + DURATION)
_COMBINED_RE = re.compile(
    r"(?:决定|合并)(?:合并)?执行\s*(?P<kind>无期徒刑|死刑|有期徒刑|拘役|管制)" + DURATION
)
_PROBATION_RE = re.compile(r"\s*[，,]?\s*(?:并?宣告|适用)?缓刑" + DURATION)
_EXEMPT_RE = re.compile(r"免予刑事处罚|免除刑事处罚|免予刑事处分|免于刑事处罚")
_CHARGE_RE = re.compile(r"犯(?P<c>[\u4e00-\u9fff、]{1,40}?罪)")
# A combined sentence (数罪并罚 … 决定执行), and an earlier sentence joined to the new one:
# "与前罪…并罚", "原犯…罪被判处…", "连同前判…", "撤销…缓刑，原判…", "与…刑事判决中对…犯…罪…并罚".
_COMBINE_RE = re.compile(r"决定(?:合并)?执行|合并执行|并罚")
_EARLIER_SENTENCE_RE = re.compile(
    r"前罪|前判|原判|原犯|之前犯|前犯|余刑|(?:没有|尚未|未)执行(?:完毕)?的|判决(?:书)?中?对"
)
_SEVERITY = {"死刑": 5, "无期徒刑": 4, "有期徒刑": 3, "拘役": 2, "管制": 1}
_KIND_TYPE = {"有期徒刑": "fixed_term", "拘役": "detention", "管制": "control"}


def verdict_segments(verdict: str, names: Sequence[str]) -> dict[str, str]:
    """Split the 判决如下 section into one text per defendant name.

    Parameters
    ----------
    verdict : str
        The verdict section.
    names : sequence of str
        The defendants' names.

    Returns
    -------
    dict of str to str
        The text that sentences each name (the name's parts of every item, joined); names the
        verdict does not sentence are missing.
    """
    bounds = [m.start() for m in _ITEM_RE.finditer(verdict)]
    if not bounds or bounds[0] != 0:
        bounds = [0, *bounds]
    items = [verdict[a:b] for a, b in zip(bounds, [*bounds[1:], len(verdict)], strict=True)]
    name_re = name_pattern(names, r"(?:（[^（）]{0,10}）)?犯")
    out: dict[str, list[str]] = {}
    for item in items:
        body = re.sub(r"^[一二三四五六七八九十]{1,3}、", "", item.strip())
        if _SKIP_ITEM_RE.match(body):
            continue
        # "对<name>犯罪所得…" is an order about a defendant, not their sentence.
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


def charges_of(segment: str, name: str) -> list[str]:
    """The charges a defendant is convicted of in their verdict text, in order, without repeats.

    Parameters
    ----------
    segment : str
        The defendant's verdict text (parenthesised notes removed).
    name : str
        The defendant's name as the verdict writes it.

    Returns
    -------
    list of str
        Charge names ending in 罪; earlier convictions (原/前/曾犯…) are left out.
    """
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


def combined_charges(segment: str, charges: Sequence[str]) -> int:
    """The number of crimes whose sentences a defendant's executed sentence combines (art. 69).

    Parameters
    ----------
    segment : str
        The defendant's verdict text.
    charges : sequence of str
        The charges convicted in this judgment (:func:`charges_of`).

    Returns
    -------
    int
        The number of charges, plus one when the sentence is combined with an earlier
        judgment's sentence (arts. 70, 71; 77 and 86 on revoked probation or parole), however
        many crimes that sentence covered. A combined sentence (数罪并罚, 决定执行) counts at
        least two; otherwise at least one.
    """
    s = strip_parens(segment)
    n = len(set(charges))
    combined = list(_COMBINE_RE.finditer(s))
    if not combined:
        return max(n, 1)
    if _EARLIER_SENTENCE_RE.search(s[: combined[-1].start()]):
        n += 1
    return max(n, 2)


def article_of(charges: Sequence[str]) -> str:
    """The article code of the first cyber charge, or ``"other"``."""
    for c in charges:
        if c in CYBER_ARTICLES:
            return CYBER_ARTICLES[c]
    return "other"


@dataclass
class Sentence:
    """One defendant's sentence, or why it could not be read (``failure``)."""

    sentence_type: str | None = None
    term_months: float = 0.0
    probation: bool = False
    probation_months: float = 0.0
    fine_yuan: float = 0.0
    failure: str | None = None


def parse_sentence(segment: str) -> Sentence:
    """Read the sentence of one defendant's verdict text.

    Parameters
    ----------
    segment : str
        The defendant's verdict text.

    Returns
    -------
    Sentence
        Type, term (the combined term if stated, else the most severe), probation and fine.
        Life imprisonment, death, and a text without any penalty are failures.
    """
    s = strip_parens(segment)
    out = Sentence()
    combined = list(_COMBINED_RE.finditer(s))
    penalties = [m for m in _PENALTY_RE.finditer(s) if m.group("kind") in ("无期徒刑", "死刑")]
    penalties += [m for m in _PENALTY_RE.finditer(s) if duration_from_match(m) is not None]
    penalties.sort(key=lambda m: m.start())
    chosen: re.Match[str] | None = None
    fine_from = 0
    if combined:
        chosen = combined[-1]
        fine_from = chosen.start()
    elif penalties:
        chosen = penalties[0]
        for m in penalties[1:]:
            better = _SEVERITY[m.group("kind")] > _SEVERITY[chosen.group("kind")]
            same = m.group("kind") == chosen.group("kind")
            if better or (
                same and (duration_from_match(m) or 0) > (duration_from_match(chosen) or 0)
            ):
                chosen = m
    if chosen is not None and chosen.group("kind") in ("无期徒刑", "死刑"):
        out.failure = f"non-numeric sentence ({chosen.group('kind')})"
        return out
    fines = [m for m in FINE_RE.finditer(s)]
    if chosen is not None:
        kind = chosen.group("kind")
        out.sentence_type = _KIND_TYPE[kind]
        months = duration_from_match(chosen) or 0.0
        # The contract records no term for 管制 (control): it is not custody.
        out.term_months = 0.0 if kind == "管制" else months
        mp = _PROBATION_RE.match(s, chosen.end())
        if mp and kind != "管制":
            pm = duration_from_match(mp)
            if pm:
                out.probation, out.probation_months = True, pm
        after = [m for m in fines if m.start() >= fine_from]
        if combined and after:
            out.fine_yuan = fine_from_match(after[0])
        else:
            out.fine_yuan = sum(fine_from_match(m) for m in fines)
    elif fines:
        out.sentence_type = "fine_only"
        out.fine_yuan = sum(fine_from_match(m) for m in fines)
    elif _EXEMPT_RE.search(s):
        out.sentence_type = "exempt"
    else:
        out.failure = "no sentence found in the 判决如下 section"
    return out
