"""The value-chain and target rule table: defaults, overrides, context, bad tables."""

from __future__ import annotations

import json

import pytest

from ccmodels.extract import COLUMNS, extract_judgments, load_chain_rules, parse_judgment


def test_rule_table_is_overridable(tmp_path, judgment, header_one, one, write_jsonl):
    facts = "经审理查明，被告人张某某利用木马程序盗取被害人的游戏账号及游戏装备后出售。"
    fd = judgment(header_one, "罪名成立。", "被告人张某某犯盗窃罪，判处有期徒刑一年。", facts=facts)
    default = one(fd)
    assert default["chain_virtual_assets"] is True
    assert default["target"] == "gaming"
    assert default["chain_gov_systems"] is False

    custom = tmp_path / "rules.toml"
    custom.write_text(
        '[settings]\nrequire_context = false\n\n[chains.gov_systems]\nkeywords = ["木马"]\n\n'
        '[targets.government]\nkeywords = ["游戏"]\n',
        encoding="utf-8",
    )
    rows = parse_judgment(fd, "doc", rules=custom)
    assert rows[0]["chain_gov_systems"] is True
    assert rows[0]["chain_virtual_assets"] is False  # not in the custom table
    assert rows[0]["target"] == "government"

    path = write_jsonl(tmp_path / "one.jsonl", [json.dumps({"text_id": "x", "fd": fd})])
    assert (
        extract_judgments(path, progress=False, rules=custom).offenders["chain_gov_systems"].all()
    )


def test_no_context_means_no_chain(judgment, header_one, one):
    facts = "经审理查明，被告人张某某在超市盗窃现金人民币五百元及银行卡一张。"
    row = one(judgment(header_one, "罪名成立。", "被告人张某某犯盗窃罪，判处拘役三个月。", facts))
    assert not any(row[c] for c in COLUMNS if c.startswith("chain_"))
    assert row["target"] == "unknown"


def test_bad_rule_table_is_rejected(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[chains.crypto]\nkeywords = ["币"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown chain"):
        load_chain_rules(bad)
