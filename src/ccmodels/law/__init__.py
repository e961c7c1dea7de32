"""Statutory sentencing rules for the cyber articles of the PRC Criminal Law, as data.

The rules are a table (:data:`ARTICLE_RULES`) of tiers per article, plus the general-part rules
that bound every sentence (detention 1-6 months, fixed term 6-180 months, the art. 69 caps on a
sentence combined for several crimes, probation eligibility and period ranges, minimum fines).
Everything is vectorised over NumPy arrays so that the simulator and the validator apply exactly
the same rules.

Items that the domain reference marks as unverified are parameters of :class:`LawConfig` with
documented defaults rather than hard-coded facts.

References
----------
PRC Criminal Law arts. 42, 45, 52-53, 65, 69-74, 285-287-2 (Amendments VII, VIII and IX); SPC
2000 Provisions on property penalties art. 2 (minimum fine 1,000 yuan; 500 for juveniles).
"""

from __future__ import annotations

from ccmodels.law.sentencing import (
    combination_rule,
    combined_term_cap,
    custodial_range,
    fine_minimum,
    fine_required,
    fine_rule,
    fine_rule_known,
    probation_eligible,
    probation_period_bounds,
    term_cap,
    tier_index,
)
from ccmodels.law.statutes import (
    AMENDMENT_IX,
    AMENDMENT_VII,
    AMENDMENT_VIII,
    ARTICLE_RULES,
    ARTICLES,
    COMBINATION_RULES,
    DEFAULT_LAW,
    DETENTION_MONTHS,
    FINE_REQUIRED_RULES,
    FINE_RULES,
    FIXED_TERM_MONTHS,
    PROBATION_MAX_TERM,
    SENTENCE_TYPES,
    ArticleRule,
    CombinationRule,
    FineRule,
    LawConfig,
    Tier,
    article_codes,
    article_exists,
    article_exists_in_year,
    article_in_force_from,
    fine_allowed,
    fine_only_allowed,
    max_term,
    sentence_type_codes,
    term_bounds,
)

__all__ = [
    "AMENDMENT_IX",
    "AMENDMENT_VII",
    "AMENDMENT_VIII",
    "ARTICLES",
    "ARTICLE_RULES",
    "COMBINATION_RULES",
    "DEFAULT_LAW",
    "DETENTION_MONTHS",
    "FINE_REQUIRED_RULES",
    "FINE_RULES",
    "FIXED_TERM_MONTHS",
    "PROBATION_MAX_TERM",
    "SENTENCE_TYPES",
    "ArticleRule",
    "CombinationRule",
    "FineRule",
    "LawConfig",
    "Tier",
    "article_codes",
    "article_exists",
    "article_exists_in_year",
    "article_in_force_from",
    "combination_rule",
    "combined_term_cap",
    "custodial_range",
    "fine_allowed",
    "fine_minimum",
    "fine_only_allowed",
    "fine_required",
    "fine_rule",
    "fine_rule_known",
    "max_term",
    "probation_eligible",
    "probation_period_bounds",
    "sentence_type_codes",
    "term_bounds",
    "term_cap",
    "tier_index",
]
