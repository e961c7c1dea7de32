"""The columns of the offender-table contract: names, types, categories and the role
defaults (:mod:`ccmodels.data.schema` validates tables against them)."""

from __future__ import annotations

from ccmodels import law

__all__ = [
    "BOOL_COLUMNS",
    "CATEGORIES",
    "CHAIN_COLUMNS",
    "OPTIONAL",
    "REQUIRED",
    "ROLE_COLUMNS",
    "ROLE_DEFAULTS",
    "TARGETS",
    "TRAITS",
    "VALUE_CHAINS",
]

VALUE_CHAINS: tuple[str, ...] = (
    "real_assets",
    "virtual_assets",
    "internet_resources",
    "gov_systems",
)
CHAIN_COLUMNS: tuple[str, ...] = tuple(f"chain_{c}" for c in VALUE_CHAINS)
TRAITS: tuple[str, ...] = (
    "female",
    "juvenile",
    "disability",
    "accessory",
    "surrender",
    "confession",
    "recidivist",
    "restitution",
    "plea_leniency",
)
TARGETS: tuple[str, ...] = (
    "commercial",
    "gaming",
    "public_system",
    "government",
    "other",
    "unknown",
)
BOOL_COLUMNS: tuple[str, ...] = (*CHAIN_COLUMNS, *TRAITS, "probation")
#: Optional columns on the defendant's role and the number of crimes combined: ``principal``
#: (主犯, art. 26), ``ringleader`` (犯罪集团的首要分子, arts. 26 and 97; never eligible for
#: probation, art. 74) and ``n_charges`` (crimes whose sentences the executed sentence combines,
#: art. 69; 1 for a single crime).
ROLE_COLUMNS: tuple[str, ...] = ("principal", "ringleader", "n_charges")
#: Values given to absent role columns: not a principal, not a ringleader, one charge.
ROLE_DEFAULTS: dict[str, bool | int] = {"principal": False, "ringleader": False, "n_charges": 1}
_ROLE_TYPES: dict[str, str] = {"principal": "bool", "ringleader": "bool", "n_charges": "int"}

REQUIRED: dict[str, str] = {
    "case_id": "str",
    "defendant": "int",
    "year": "int",
    "article": "category",
    **{c: "bool" for c in CHAIN_COLUMNS},
    "target": "category",
    **{t: "bool" for t in TRAITS},
    "sentence_type": "category",
    "term_months": "float",
    "probation": "bool",
    "probation_months": "float",
    "fine_yuan": "float",
}
OPTIONAL: dict[str, str] = {"court": "str", "province": "str", "age": "float"}
CATEGORIES: dict[str, tuple[str, ...]] = {
    "article": law.ARTICLES,
    "target": TARGETS,
    "sentence_type": law.SENTENCE_TYPES,
}
