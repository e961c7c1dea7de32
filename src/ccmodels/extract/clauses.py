"""Cut reasoning and fact text into clauses: whom each is about, and whose position it states.

A court's reasoning mixes its own findings with the parties' claims (辩护人提出…, 公诉机关认为…)
and its answer to them (予以采纳, 不予采纳 …). :func:`segments` splits a block at 。 and ；, finds
the first clause of each segment that states a claim and the court's answer to it; in the fact
section it also marks evidence lists and the parties' statements. :class:`Mentions` tells which
defendants a clause names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ccmodels.extract.sections import strip_parens

__all__ = ["Mentions", "Segment", "segments"]

_LAW_TITLE_RE = re.compile(r"《[^《》]*》")
# Statute text quoted in the reasoning ("按…第六十七条第一款规定，“犯罪以后自动投案…是自首…”").
_STATUTE_QUOTE_RE = re.compile(r"规定[，,：:]?\s*“[^”]*”")
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
_EVIDENCE_RE = re.compile(r"证据|证言|笔录|证实|足以认定|书证|物证")
_ENUM_RE = re.compile(
    r"^\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3}|（[一二三四五六七八九十\d]{1,3}）)[、.．]?"
)
_ALL_DEFENDANTS_RE = re.compile(
    r"(?:(?P<k>[二两三四五六七八九十])|各|全体|上述|以上|所有|本案)名?(?:被告人|上诉人)"
)
_GROUP_SIZE = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": 2}
_JOIN_RE = re.compile(r"^(?:[、和与及]|、?被告人|[和与及]被告人)$")
# A clause whose subject is another (pseudonymised) person: "案发后，郝某家属返还…".
_THIRD_PARTY_RE = re.compile(
    r"^\s*(?:案发后|案发前|事后|后|随后|同日|次日|其后|另)?(?P<n>[\u4e00-\u9fff]{1,2}某[某甲乙丙丁戊\d]*)"
)
# How many segments after an unanswered claim the court's answer is looked for.
_ANSWER_WINDOW = 3


@dataclass
class Mentions:
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
class Segment:
    """A stretch of text between 。/；, with its clauses and claim structure."""

    clauses: list[str]
    claim_at: int  # index of the first clause that states a party's claim (len = none)
    answer: str | None = None  # the court's answer to the claim: accept / reject / none
    # In the facts: "evidence" (evidence lists), "defence" (the defence's position) or "party"
    # (another party's position, e.g. the prosecution's).
    skip: str = ""
    # Between a claim and the court's rejection of it: the claim's own argument, not a finding.
    within_rejected: bool = False

    @property
    def has_claim(self) -> bool:
        """Whether a clause of the segment states a party's claim."""
        return self.claim_at < len(self.clauses)


def segments(text: str, facts: bool) -> list[Segment]:
    """Split a block into segments and find the court's answer to each claim.

    Parameters
    ----------
    text : str
        The reasoning or the fact section.
    facts : bool
        Whether ``text`` is the fact section: then parenthesised notes are dropped and evidence
        lists and the parties' statements are marked (``Segment.skip``).

    Returns
    -------
    list of Segment
        In text order. A claim without an answer in its own segment takes the first answer in
        the next three segments (``"none"`` if there is none).
    """
    text = _STATUTE_QUOTE_RE.sub("规定", _LAW_TITLE_RE.sub("《》", text))
    if facts:
        text = strip_parens(text)  # "（已返还被害人）" notes are police recoveries, not findings
    out: list[Segment] = []
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
                out.append(_segment(seg, "evidence" if evidence else party))
    _answer_claims(out)
    return out


def _segment(text: str, skip: str) -> Segment:
    clauses = [c for c in re.split(r"[，,：:]", text) if c.strip()]
    claim_at = len(clauses)
    for k, c in enumerate(clauses):
        if _CLAIM_RE.search(c) or _CLAIM_START_RE.match(c):
            claim_at = k
            break
    claim_text = "，".join(clauses[claim_at:])
    answer = None
    if claim_at < len(clauses):
        if _REJECT_RE.search(claim_text):
            answer = "reject"
        elif _ACCEPT_RE.search(claim_text):
            answer = "accept"
    return Segment(clauses, claim_at, answer, skip)


def _answer_claims(segs: list[Segment]) -> None:
    for k, seg in enumerate(segs):
        if not seg.has_claim or seg.answer is not None:
            continue
        seg.answer = "none"
        for j in range(k + 1, min(k + 1 + _ANSWER_WINDOW, len(segs))):
            later = "，".join(segs[j].clauses)
            if _REJECT_RE.search(later):
                seg.answer = "reject"
                for between in segs[k + 1 : j]:
                    if not between.has_claim:
                        between.within_rejected = True
                break
            if _ACCEPT_RE.search(later):
                seg.answer = "accept"
                break
