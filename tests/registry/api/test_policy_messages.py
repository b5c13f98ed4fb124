"""What a committee member reads from the policy store, over REST and the CLI, in en and zh."""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner

from fairgate.audit.report.catalog import message_in
from fairgate.cli import main
from fairgate.errors import FairgateError, NotFoundError, PolicyError, ValidationError
from fairgate.registry.store import Registry
from fairgate.registry.store.policies import PolicyStore, parse_policy_ref
from fairgate.settings import Settings

_CJK = re.compile(r"[\u3400-\u9fff]")
_ENGLISH = re.compile(r"\b(the|policy|publish|published|write|name|rationale)\b", re.I)


@pytest.fixture
def policies(tmp_path):
    return PolicyStore(Registry(Settings(home=tmp_path / "home")).engine)


def _refusals(policies: PolicyStore) -> list[FairgateError]:
    caught = []
    attempts = [
        lambda: policies.get("nobody-published-this"),
        lambda: parse_policy_ref("../lax.yaml"),
        lambda: policies.publish("name: [unclosed", actor="c"),
        lambda: policies.publish("- a list", actor="c"),
        lambda: policies.publish("name: x\nmin_group_size: none\n", actor="c"),
        lambda: policies.assign("m", "1", "default", actor="c", rationale=" "),
    ]
    for attempt in attempts:
        with pytest.raises(FairgateError) as err:
            attempt()
        caught.append(err.value)
    return caught


def test_every_policy_store_refusal_is_a_catalog_message_in_both_languages(policies):
    policies.publish_builtins()
    refusals = _refusals(policies)
    assert [type(e) for e in refusals] == [
        NotFoundError,
        ValidationError,
        PolicyError,
        PolicyError,
        PolicyError,
        ValidationError,
    ]
    for exc in refusals:
        assert exc.message_key is not None, exc.message
        assert message_in(exc, "en") == exc.message
        zh = message_in(exc, "zh")
        assert _CJK.search(zh) and zh != exc.message
        words = _ENGLISH.findall(re.sub(r"'[^']*'", "", zh.split("：", 1)[-1]))
        assert not [w for w in words if w.lower() != "name"] or "min_group_size" in zh, zh
    assert "'nobody-published-this'" in message_in(refusals[0], "zh")
    assert "city-example, default" in message_in(refusals[0], "zh")  # the published names
    assert "min_group_size" in message_in(refusals[4], "zh")  # the field named in either language


def test_rest_refusals_follow_accept_language(plain_env):
    with plain_env.client("committee") as c:
        en = c.get("/v1/policies/nobody-published-this")
        zh = c.get(
            "/v1/policies/nobody-published-this",
            headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
        )
        assert en.status_code == zh.status_code == 404
        assert en.json()["message"].startswith("policy 'nobody-published-this' is not published")
        assert zh.json()["message"].startswith("政策 'nobody-published-this' 尚未发布")
        assert zh.json()["details"] == en.json()["details"]
        bad = c.post(
            "/v1/policies",
            json={"policy": {"name": "x", "min_group_size": "none"}},
            headers={"Accept-Language": "zh"},
        )
        assert bad.status_code == 422 and "该政策无法发布" in bad.json()["message"]
        assert "min_group_size" in bad.json()["message"]


def _cli(*args: str):
    return CliRunner().invoke(main, ["policy", *args])


def test_policy_commands_speak_both_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGATE_HOME", str(tmp_path / "home"))
    body = yaml.safe_load(
        "name: strict\nrules: [{id: four_fifths, kind: ratio, metric: selection_rate, min: 0.9,"
        " description: {en: 'at least nine tenths', zh: '不低于十分之九'}}]\n"
    )
    (tmp_path / "strict.yaml").write_text(yaml.safe_dump(body, allow_unicode=True))
    r = _cli("--lang", "zh", "publish", str(tmp_path / "strict.yaml"), "--by", "A. Member")
    assert r.exit_code == 0 and r.output.startswith("已发布 strict@1，SHA-256 "), r.output
    r = _cli("publish", str(tmp_path / "strict.yaml"), "--by", "A. Member")
    assert r.exit_code == 0 and r.output.startswith("unchanged: the same content"), r.output
    r = _cli("--lang", "zh", "list")
    rows = r.output.splitlines()
    assert r.exit_code == 0 and len(rows) == 3 and all("发布者" in row for row in rows)
    r = _cli("--lang", "zh", "show", "nobody")
    assert r.exit_code == 2 and "政策 'nobody' 尚未发布" in r.output, r.output
    r = _cli("--lang", "zh", "assign", "lending", "strict", "--rationale", "x", "--by", "A")
    assert r.exit_code == 2 and "请写成“名称@版本”" in r.output, r.output
    r = _cli("assign", "lending", "strict", "--rationale", "x", "--by", "A")
    assert r.exit_code == 2 and "write NAME@VERSION" in r.output, r.output
