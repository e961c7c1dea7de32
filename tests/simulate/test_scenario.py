from __future__ import annotations

import filecmp
import tomllib
from pathlib import Path

import pytest

from ccmodels.simulate import Scenario, ScenarioError

ROOT = Path(__file__).resolve().parents[2]


def test_every_scenario_file_loads():
    files = sorted((ROOT / "simulations").glob("*.toml"))
    assert files
    for f in files:
        assert Scenario.from_toml(f).years[0] >= 1997


def test_packaged_default_is_the_repository_file():
    from importlib.resources import files

    packaged = files("ccmodels.resources").joinpath("cai2017.toml")
    assert filecmp.cmp(str(packaged), ROOT / "simulations" / "cai2017.toml", shallow=False)


def test_misspelt_key_has_a_hint(tmp_path):
    text = (
        (ROOT / "simulations" / "cai2017.toml").read_text().replace("[group_size]", "[group_sise]")
    )
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError, match=r"bad.toml.*'group_sise'.*did you mean 'group_size'"):
        Scenario.from_toml(p)


def test_nested_misspelt_key_and_unknown_level(tmp_path):
    data = tomllib.loads((ROOT / "simulations" / "cai2017.toml").read_text())
    data["sentence"]["sigmaa"] = 1.0
    with pytest.raises(ScenarioError, match="sentence.sigmaa.*did you mean 'sigma'"):
        Scenario.from_dict(data)
    del data["sentence"]["sigmaa"]
    data["sentence"]["traits"]["disabilty"] = 0.1
    with pytest.raises(ScenarioError, match="did you mean 'disability'"):
        Scenario.from_dict(data)


def test_frozen_and_replace():
    sc = Scenario.default()
    with pytest.raises(ValueError):
        sc.name = "x"  # type: ignore[misc]
    sc2 = sc.replace(sentence={"sigma": 0.9})
    assert sc2.sentence.sigma == 0.9 and sc.sentence.sigma != 0.9
    assert sc.scaled(7).volume.scale == 7 * sc.volume.scale


def test_year_dev_length_checked():
    with pytest.raises(ScenarioError, match="year_dev has 2 values"):
        Scenario.default().replace(sentence={"year_dev": [0.0, 0.1]})


def test_scenario_containers_are_immutable():
    sc = Scenario.default()
    with pytest.raises(TypeError):
        sc.sentence.traits["female"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        sc.targets["new"] = sc.targets["total_cases"]  # type: ignore[index]
    with pytest.raises(TypeError):
        sc.article_mix.weights["286"] = 0.0  # type: ignore[index]
    assert isinstance(sc.fine.amount.year_dev, tuple | type(None))
    # a change is a new, re-validated scenario; the original is untouched
    other = sc.replace(sentence={"traits": {"female": 1.0}})
    assert other.sentence.traits["female"] == 1.0 and sc.sentence.traits["female"] == -0.2
