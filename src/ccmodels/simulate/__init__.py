"""Scenario parameters, the case-population simulator, and calibration against targets."""

from ccmodels.simulate.calibrate import CalibrationResult, calibrate
from ccmodels.simulate.latent import COMPONENTS
from ccmodels.simulate.population import Population, simulate
from ccmodels.simulate.scenario import Predictor, Scenario, ScenarioError, Target

__all__ = [
    "COMPONENTS",
    "CalibrationResult",
    "Population",
    "Predictor",
    "Scenario",
    "ScenarioError",
    "Target",
    "calibrate",
    "simulate",
]
