"""The value-chain and target rule table: keyword rules read from TOML.

The packaged table is ``ccmodels/resources/chain_rules.toml``; another file with the same layout
replaces it (``rules=`` of :func:`ccmodels.extract.extract_judgments`, ``--rules`` of
``ccmodels extract``). Chain and target names are those of the data contract.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ccmodels.data.schema import TARGETS, VALUE_CHAINS

__all__ = ["ChainRules", "load_chain_rules"]


@dataclass(frozen=True)
class _Rule:
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def fires(self, text: str) -> bool:
        return any(k in text for k in self.keywords) and not any(x in text for x in self.exclude)


@dataclass(frozen=True)
class ChainRules:
    """The value-chain and target rule table (see ``resources/chain_rules.toml``).

    Attributes
    ----------
    chains : dict of str to _Rule
        One rule per value chain (``real_assets``, ``virtual_assets``, ``internet_resources``,
        ``gov_systems``).
    targets : dict of str to _Rule
        Target rules in priority order; the first that fires wins.
    require_context : bool
        Code chains and targets only for documents with a cyber context.
    context_keywords : tuple of str
        Keywords that establish the cyber context.
    source : str
        Where the table was read from.
    """

    chains: dict[str, _Rule]
    targets: dict[str, _Rule]
    require_context: bool
    context_keywords: tuple[str, ...]
    source: str = ""

    def code(self, text: str, cyber_conviction: bool = False) -> dict[str, Any]:
        """Code one document.

        Parameters
        ----------
        text : str
            The facts and reasoning of the judgment.
        cyber_conviction : bool
            Whether a defendant was convicted under arts. 285-287 (establishes the context).

        Returns
        -------
        dict
            ``chain_<name>`` booleans and ``target``.
        """
        out: dict[str, Any] = {f"chain_{c}": False for c in VALUE_CHAINS}
        out["target"] = "unknown"
        if self.require_context and not (
            cyber_conviction or any(k in text for k in self.context_keywords)
        ):
            return out
        for name, rule in self.chains.items():
            out[f"chain_{name}"] = rule.fires(text)
        for name, rule in self.targets.items():
            if rule.fires(text):
                out["target"] = name
                break
        return out


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return tuple(value)


def _rules(
    raw: dict[str, Any], table: str, names: tuple[str, ...], source: str
) -> dict[str, _Rule]:
    # "unknown" is what no rule firing means, so no rule may produce it.
    out: dict[str, _Rule] = {}
    for name, spec in raw.get(table, {}).items():
        if name not in names or name == "unknown":
            kind = table.removesuffix("s")
            raise ValueError(f"{source}: unknown {kind} {name!r}; expected one of {names}")
        out[name] = _Rule(
            _str_tuple(spec.get("keywords"), f"{table}.{name}.keywords"),
            _str_tuple(spec.get("exclude"), f"{table}.{name}.exclude"),
        )
    return out


def load_chain_rules(path: str | Path | None = None) -> ChainRules:
    """Load a value-chain/target rule table from TOML.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file with the layout of ``ccmodels/resources/chain_rules.toml``. By default the
        packaged table is used.

    Returns
    -------
    ChainRules
        The parsed table.

    Raises
    ------
    ValueError
        If a chain or target name is unknown or a keyword list is malformed.
    """
    if path is None:
        text = resources.files("ccmodels").joinpath("resources/chain_rules.toml").read_text("utf-8")
        source = "ccmodels/resources/chain_rules.toml"
    else:
        text = Path(path).read_text(encoding="utf-8")
        source = str(path)
    raw = tomllib.loads(text)
    settings = raw.get("settings", {})
    chains = _rules(raw, "chains", VALUE_CHAINS, source)
    targets = _rules(raw, "targets", TARGETS, source)
    return ChainRules(
        chains=chains,
        targets=targets,
        require_context=bool(settings.get("require_context", False)),
        context_keywords=_str_tuple(settings.get("context_keywords"), "settings.context_keywords"),
        source=source,
    )
