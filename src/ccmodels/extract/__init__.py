"""Extract one row per defendant from Chinese first-instance criminal judgments (刑事判决书).

The input is a JSON-lines file with one judgment per line (fields ``text_id`` and ``fd``, the
full judgment text, as in ``cjo_sample.jsonl``). :func:`extract_judgments` returns the offender
table of the data contract, a table of failures (malformed lines, documents without a usable
defendant, life or death sentences) and a per-field coverage table.

How a judgment is read
----------------------
* **Header** (before the prosecution paragraph; :mod:`~ccmodels.extract.sections`,
  :mod:`~ccmodels.extract.persons`): court, case number, and the 被告人 entries in order (name,
  sex, birth date, ethnicity, education).
* **判决如下 section** (:mod:`~ccmodels.extract.verdict`; the last one in the text, since
  appellate judgments first quote the original judgment): numbered items that start with
  维持/撤销/驳回 are skipped, the rest are split at each defendant's ``<name>犯`` so that
  sentence, probation and fine are read per defendant. A 决定执行 (combined) term and the fine
  stated with it take precedence over per-charge terms. Numerals and durations are read by
  :mod:`~ccmodels.extract.numerals`.
* **Reasoning** (from 本院认为 to the statutory basis 依照…之规定;
  :mod:`~ccmodels.extract.clauses`, :mod:`~ccmodels.extract.flags`): flags are attributed to the
  defendant(s) named in the clause, or to the subject carried over from the previous clause.
  Claims count only when the court accepts them; the court's fact findings, the birth date and
  (for single-defendant judgments) the cited articles complete them. The defendant's role
  (``principal``: 主犯; ``ringleader``: 首要分子 of a criminal group) is read the same way.
* **Number of charges** (``n_charges``): the crimes whose sentences the executed sentence
  combines (art. 69): the charges convicted in the verdict, plus one for an earlier judgment's
  sentence joined to them (arts. 70, 71).
* **Value chains and target** come from a TOML rule table (:mod:`~ccmodels.extract.chains`,
  ``ccmodels/resources/chain_rules.toml``), overridable with ``rules=``.

:mod:`~ccmodels.extract.pipeline` puts the parts together; :mod:`~ccmodels.extract.evaluation`
compares an extraction with hand labels.
"""

from ccmodels.extract.chains import ChainRules, load_chain_rules
from ccmodels.extract.evaluation import accuracy_table, disagreements
from ccmodels.extract.flags import FLAG_COLUMNS
from ccmodels.extract.numerals import chinese_number, parse_duration_months, parse_fine_yuan
from ccmodels.extract.pipeline import COLUMNS, ExtractionResult, extract_judgments, parse_judgment

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
