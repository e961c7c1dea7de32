"""Court-found flags per defendant: surrender, confession, accessory, recidivism and the rest.

The reasoning (本院认为 up to the statutory basis) is the main source. A flag is attributed to the
defendant(s) named in the clause, or to the subject carried over from the previous clause
("被告人甲、乙系从犯", "三被告人均…"). A party's claim counts only when the court accepts it;
rejected claims (不予采纳, 不能成立 …) and explicit negations (不构成自首, 并非从犯 …) make the flag
false. The court's fact findings (not the parties' statements or evidence lists) also count for
restitution, confession, an explicit 自首 and plea leniency (a 认罪认罚 stated by the prosecution
counts, one claimed only by the defence does not). For single-defendant judgments the cited
articles (67(1) surrender, 67(3) confession, 65 recidivism, 27 accessory, 23 attempt, 17
juvenile, 19 disability) are a fallback, except that 67(3) is not read as 坦白 when the court
credits only an at-trial admission as a discretionary (酌情) factor and no admission after arrest
is recorded.

The defendant's role (:func:`court_roles`) is read from the reasoning in the same way:
``principal`` when the court finds him 主犯 or says he played the main role (起主要作用) in the
joint crime, ``ringleader`` when it finds him the ringleader (首要分子) of a criminal group
(犯罪集团, 黑社会性质组织); a ringleader of a mob crime (聚众斗殴 …) is not one. Negations and
comparisons ("不区分主从犯", "并非主犯", "听从主犯张某的安排") are not findings; a defendant found an
accessory is not a principal; a ringleader is a principal (art. 26). For single-defendant
judgments a citation of art. 26 (paragraph 3: ringleader) is a fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ccmodels.extract.clauses import Mentions, segments
from ccmodels.extract.numerals import chinese_number
from ccmodels.extract.sections import Doc

__all__ = ["FLAG_COLUMNS", "ROLE_FLAGS", "court_flags", "court_roles"]

# Negations before a keyword: strong ones may be further away ("不能认定其系共同犯罪中的从犯").
_NEG_STRONG = (
    r"(?:不构成|不能认定|不应认定|不予认定|不认定|不宜认定|不能视为|不属于|并非|不具有|不具备|不符合"
    r"|不存在|不成立|不能成立)[^，。；]{0,12}$"
)
_NEG_BEFORE = r"(?:不属|不是|没有|无|未|不能|拒不|不愿|尚未|不予|不区分|不分|区分主|分主)"
_NEG_AFTER_RE = re.compile(
    r"^[^，。；]{0,8}?(?:不能成立|不成立|不予认定|不能认定|不予采纳|不予支持)"
)

# The flags, in output order. They are the contract's traits found by the court (all but
# ``female``, which the header states) and ``attempted``.
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
#: Court-found flags (booleans), in output order.
FLAG_COLUMNS: tuple[str, ...] = tuple(_FLAG_RULES)
_Rules = dict[str, tuple[re.Pattern[str], re.Pattern[str], int]]
_FLAG_RES: _Rules = {k: (re.compile(p), re.compile(x), w) for k, (p, x, w) in _FLAG_RULES.items()}

# The defendant's role in a joint crime. Clauses about whether or how to tell principals from
# accessories ("不宜区分主从", "无需区分主犯、从犯") find no role.
_ROLE_RULES: dict[str, tuple[str, str, int]] = {
    "principal": (r"主犯|(?:主要|主导)作用", r"是否|是指|区分|主从|主次", 4),
    "ringleader": (
        r"首要分子|组织、领导(?:该|本|这一)?(?:犯罪集团|黑社会性质组织)"
        r"|黑社会性质组织的?(?:组织者|领导者|组织、领导者)",
        r"是否|是指",
        4,
    ),
}
#: Role flags read from the reasoning (the contract's ``principal`` and ``ringleader``).
ROLE_FLAGS: tuple[str, ...] = tuple(_ROLE_RULES)
_ROLE_RES: _Rules = {k: (re.compile(p), re.compile(x), w) for k, (p, x, w) in _ROLE_RULES.items()}
# A role word that describes someone else: "听从主犯张某的安排", "与主犯相比", "起主要作用的同案犯".
_ROLE_OTHER_BEFORE_RE = re.compile(
    r"(?:听从|服从|协助|帮助|配合|跟随|追随|受|与|同|和|比|较|对|除|同案|另案)$"
)
_ROLE_OTHER_AFTER_RE = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,2}某|（|\(|另案|在逃|之外|以外"
    r"|的(?:安排|指使|指挥|授意|要求|命令|纠集|邀约|带领|雇佣|同案|被告人|人员|犯罪分子"
    r"|[\u4e00-\u9fff]{1,2}某))"
)
# 首要分子 is a ringleader of a criminal group only where the segment speaks of one (and does not
# deny it: "本案不构成犯罪集团").
_GROUP_RE = re.compile(
    r"(?:犯罪|诈骗|盗窃|贩毒|毒品|抢劫|传销|赌博|恶势力)集团|黑社会性质组织|黑社会组织"
)
_GROUP_DENIED_RE = re.compile(
    r"(?:不构成|不属于?|不是|并非|不能认定|不应认定|不予认定|不认定|未形成|尚未形成|不具备|没有形成)"
    r"[^，。；]{0,10}$"
)

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
_COURT_REFUSAL_RE = re.compile(r"不宜[^，。；]{0,6}从轻|不予从轻|不能作为[^，。；]{0,10}从轻")
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
_CRIMINAL_LAW_RE = re.compile(r"《中华人民共和国刑法》(?P<body>[^《]*)")
_ARTICLE_REF_RE = re.compile(
    r"(?:第(?P<art>[一二三四五六七八九十百零]+)条(?P<zhi>之[一二三四五六七八九十])?)?"
    r"(?:第(?P<kuan>[一二三四五六七八九十、和及]+)款)?"
)


def _speaks_of_group(text: str) -> bool:
    """Whether a text names a criminal group the court does not deny."""
    return any(not _GROUP_DENIED_RE.search(text[: m.start()]) for m in _GROUP_RE.finditer(text))


def _keyword_hits(
    clause: str, year: int | None, rules: _Rules = _FLAG_RES
) -> list[tuple[int, str, bool]]:
    """Flag keywords in a clause: (position, flag, positive?)."""
    out: list[tuple[int, str, bool]] = []
    for flag, (pos_re, excl_re, window) in rules.items():
        for m in pos_re.finditer(clause):
            if flag in _ROLE_RULES and (
                _ROLE_OTHER_BEFORE_RE.search(clause[: m.start()])
                or _ROLE_OTHER_AFTER_RE.match(clause[m.end() :])
            ):
                continue
            # 具结 is read as the plea-agreement signature only once the 认罪认罚 pilot was running.
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
    mentions: Mentions,
    year: int | None,
    flags: Iterable[str],
    facts: bool,
    rules: _Rules = _FLAG_RES,
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
    for seg in segments(text, facts):
        court_pos: dict[int, set[str]] = {i: set() for i in range(n)}
        claim_pos: dict[int, set[str]] = {i: set() for i in range(n)}
        denied: dict[int, set[str]] = {i: set() for i in range(n)}
        rejected: dict[int, set[str]] = {i: set() for i in range(n)}
        seg_text = "，".join(seg.clauses)
        refusal = bool(_COURT_REFUSAL_RE.search(seg_text))
        after_offence = bool(_AFTER_OFFENCE_RE.search(seg_text))
        confessed = bool(re.search(r"如实(?:供述|交代|交待|供认)", seg_text))
        group = _speaks_of_group(seg_text)
        for ci, clause in enumerate(seg.clauses):
            gs = mentions.groups(clause, subject)
            in_claim = ci >= seg.claim_at
            for pos, flag, positive in _keyword_hits(clause, year, rules):
                if flag not in wanted:
                    continue
                if flag == "ringleader" and "首要分子" in clause[pos : pos + 4] and not group:
                    continue  # the ringleader of a mob crime (聚众…), not of a criminal group
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
                        if seg.answer == "accept":
                            claim_pos[i].add(flag)
                        elif seg.answer == "reject":
                            rejected[i].add(flag)
                    elif not seg.within_rejected:
                        court_pos[i].add(flag)
            if gs:
                subject = gs[0][1]
        for i in range(n):
            found = (court_pos[i] | claim_pos[i]) - denied[i]
            state.pos[i] |= found
            state.neg[i] |= denied[i] | (rejected[i] - court_pos[i])
    return state


def _cited_articles(basis: str) -> set[tuple[int, str | None]]:
    """Criminal Law articles cited in the basis, as (article, None) and (article, paragraph)."""
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


def court_flags(doc: Doc, mentions: Mentions) -> list[dict[str, bool]]:
    """The flags of every defendant of a judgment.

    Parameters
    ----------
    doc : Doc
        The judgment, cut into sections.
    mentions : Mentions
        Finds the defendants a clause names.

    Returns
    -------
    list of dict
        Per defendant in header order, every flag of :data:`FLAG_COLUMNS`. Surrender and
        confession exclude each other (坦白 is the admission of one who did not surrender).
    """
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


def court_roles(doc: Doc, mentions: Mentions) -> list[dict[str, bool]]:
    """The role the court finds for every defendant of a judgment (``doc`` and ``mentions``
    as for :func:`court_flags`).

    Returns
    -------
    list of dict
        Per defendant in header order, ``principal`` (主犯: the court finds him a principal or
        says he played the main role) and ``ringleader`` (首要分子 of a criminal group). A
        ringleader is a principal (art. 26); a defendant the court finds an accessory (从犯,
        胁从犯) is not. Single-defendant judgments: a citation of art. 26 counts as a principal
        finding, of art. 26(3) as a ringleader finding, unless the reasoning denies them.
    """
    n = mentions.n
    roles = _scan_block(doc.reasoning, mentions, doc.year, ROLE_FLAGS, False, _ROLE_RES)
    accessory = _scan_block(doc.reasoning, mentions, doc.year, ("accessory",), False)
    cited = _cited_articles(doc.basis) if n == 1 else set()
    out: list[dict[str, bool]] = []
    for i in range(n):
        found = {f: f in roles.pos[i] for f in ROLE_FLAGS}
        if (26, "三") in cited and "ringleader" not in roles.neg[i]:
            found["ringleader"] = True
        if (26, None) in cited and "principal" not in roles.neg[i]:
            found["principal"] = True
        if "accessory" in accessory.pos[i] and not found["ringleader"]:
            found["principal"] = False
        if found["ringleader"]:
            found["principal"] = True
        out.append(found)
    return out
