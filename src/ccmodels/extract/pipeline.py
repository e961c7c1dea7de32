"""From judgment texts to the offender table: one document, then a JSON-lines file.

:func:`parse_judgment` reads one judgment into one dict per defendant; :func:`extract_judgments`
reads a file of them into the offender table of the data contract, with the failures (malformed
lines, documents without a usable defendant, life or death sentences) and a per-field coverage
table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccmodels import law
from ccmodels.data.schema import CHAIN_COLUMNS, ROLE_COLUMNS, TARGETS
from ccmodels.extract.chains import ChainRules, load_chain_rules
from ccmodels.extract.clauses import Mentions
from ccmodels.extract.flags import FLAG_COLUMNS, court_flags, court_roles
from ccmodels.extract.persons import minor_at_offence, offence_dates, person_details
from ccmodels.extract.sections import name_pattern, split_sections, strip_parens
from ccmodels.extract.verdict import (
    CYBER_ARTICLES,
    article_of,
    charges_of,
    combined_charges,
    parse_sentence,
    verdict_segments,
)
from ccmodels.util import progress_bar

__all__ = ["COLUMNS", "COVERAGE_FIELDS", "ExtractionResult", "extract_judgments", "parse_judgment"]

# Fields a judgment may or may not state, in output order.
_STATED: tuple[str, ...] = (
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
)
#: Output columns, in order.
COLUMNS: tuple[str, ...] = (
    "doc_id",
    "case_id",
    "defendant",
    "name",
    *_STATED,
    "article",
    "sentence_type",
    "term_months",
    "probation",
    "probation_months",
    "fine_yuan",
    *FLAG_COLUMNS,
    *ROLE_COLUMNS,
    *CHAIN_COLUMNS,
    "target",
)
#: Fields reported in the coverage table.
COVERAGE_FIELDS: tuple[str, ...] = ("case_id", "name", *_STATED, "sentence_type")


def _parse_document(
    fd: str, doc_id: str, rules: ChainRules
) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse one judgment into rows (with private ``_sex_found``) and failure reasons."""
    doc = split_sections(fd, doc_id)
    failures: list[str] = []
    if not doc.defendants:
        return [], ["no 被告人 found in the header"]
    names = [d.name for d in doc.defendants]
    segments = verdict_segments(doc.verdict, names)
    verdict_name = {n: n for n in names}
    if not segments and len(doc.defendants) == 1 and doc.verdict:
        # Pseudonymisation sometimes differs between header and verdict (陈某 / 陈了磊).
        alt = re.search(
            r"(?:被告人|上诉人)(?:（[^（）]{0,20}）)?(?P<n>[^，。；\s（]{1,10}?)犯", doc.verdict
        )
        segments = {names[0]: doc.verdict}
        if alt:
            verdict_name[names[0]] = alt.group("n")
    mentions = Mentions(
        name_pattern(names), {d.name: d.index for d in doc.defendants}, len(doc.defendants)
    )
    flags = court_flags(doc, mentions)
    roles = court_roles(doc, mentions)
    offences = offence_dates(doc.facts)
    all_charges: list[str] = []
    rows: list[dict[str, Any]] = []
    for d in doc.defendants:
        seg = segments.get(d.name)
        if seg is None:
            failures.append(f"defendant {d.index} ({d.name}): no sentence in the 判决如下 section")
            continue
        sentence = parse_sentence(seg)
        if sentence.failure or sentence.sentence_type is None:
            failures.append(f"defendant {d.index} ({d.name}): {sentence.failure}")
            continue
        charges = charges_of(strip_parens(seg), verdict_name[d.name])
        all_charges += charges
        person = person_details(d, doc)
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
            "article": article_of(charges),
            "sentence_type": sentence.sentence_type,
            "term_months": float(sentence.term_months),
            "probation": sentence.probation,
            "probation_months": float(sentence.probation_months),
            "fine_yuan": float(sentence.fine_yuan),
            **flags[d.index],
            **roles[d.index],
            "n_charges": combined_charges(seg, charges),
        }
        if not row["juvenile"] and minor_at_offence(person["birth_date"], offences, row["age"]):
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
    for col in ("female", "probation", *FLAG_COLUMNS, "principal", "ringleader", *CHAIN_COLUMNS):
        df[col] = df[col].astype(bool)
    df["n_charges"] = df["n_charges"].astype("int64")
    df["article"] = pd.Categorical(df["article"], categories=list(law.ARTICLES))
    df["sentence_type"] = pd.Categorical(df["sentence_type"], categories=list(law.SENTENCE_TYPES))
    df["target"] = pd.Categorical(df["target"], categories=list(TARGETS))
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
    for f in ("probation", *FLAG_COLUMNS, "principal", "ringleader", *CHAIN_COLUMNS):
        records.append((f"{f} (true)", int(df[f].sum()) if total else 0))
    records.append(("n_charges (> 1)", int((df["n_charges"] > 1).sum()) if total else 0))
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
