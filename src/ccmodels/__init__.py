"""ccmodels: Bayesian models and simulators for cybercrime sentencing from court judgments."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ccmodels")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
