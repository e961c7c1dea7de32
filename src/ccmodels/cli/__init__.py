"""``ccmodels`` command line: a thin layer over the Python API (``app``; the commands register
themselves in the order of their modules)."""

from ccmodels.cli import data_and_fit, text_and_growth  # noqa: F401  (registers the commands)
from ccmodels.cli.common import app

__all__ = ["app"]
