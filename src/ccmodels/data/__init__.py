"""Data contract, validation, readers/writers and derived tables."""

from ccmodels.data.io import case_table, read_table, write_table, yearly_counts
from ccmodels.data.schema import (
    BOOL_COLUMNS,
    CHAIN_COLUMNS,
    TARGETS,
    TRAITS,
    VALUE_CHAINS,
    DataValidationError,
    Problem,
    ValidationReport,
    validate,
)

__all__ = [
    "BOOL_COLUMNS",
    "CHAIN_COLUMNS",
    "TARGETS",
    "TRAITS",
    "VALUE_CHAINS",
    "DataValidationError",
    "Problem",
    "ValidationReport",
    "case_table",
    "read_table",
    "validate",
    "write_table",
    "yearly_counts",
]
