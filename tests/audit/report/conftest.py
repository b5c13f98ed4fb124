"""Audits on real data shared by the report tests: the Toronto arrests data, labelled in Chinese.

Two versions of a model deciding who is released with a summons: version 1 takes colour and sex
as inputs, version 2 does not. Group labels are Chinese (黑人/白人, 男/女) so the report must
render CJK text in tables, sentences and charts.
"""

from __future__ import annotations

import pytest

ZH_LABELS = {"colour": {"Black": "黑人", "White": "白人"}, "sex": {"Male": "男", "Female": "女"}}


def _zh(frame):
    return frame.assign(**{c: frame[c].map(m) for c, m in ZH_LABELS.items()})


@pytest.fixture(scope="session")
def arrests_audits(tmp_path_factory):
    """``(previous, current)``: AuditResults of version 1 and version 2, written to disk."""
    from fairgate.audit.pipeline.run import run_audit
    from fairgate.demo.data import (
        FEATURES,
        SENSITIVE,
        TARGET,
        UNAWARE_FEATURES,
        arrests_model,
        load_arrests_frame,
    )

    data = load_arrests_frame(0)
    train, audit = _zh(data.train), _zh(data.audit)
    out = []
    for version, features in (("1", FEATURES), ("2", UNAWARE_FEATURES)):
        model = arrests_model(train, 0, features)
        spec = {
            "target": TARGET,
            "sensitive": list(SENSITIVE),
            "features": list(features),
            "name": "arrests-release",
            "version": version,
            "purpose": "Decide who is released with a summons after an arrest.",
            "owner": "Police services",
        }
        folder = tmp_path_factory.mktemp(f"arrests-v{version}")
        out.append(
            run_audit(
                model,
                audit,
                spec,
                "default",
                seed=0,
                out_dir=folder,
                lang="zh",
                explain_size=60,
            )
        )
    return out[0], out[1]
