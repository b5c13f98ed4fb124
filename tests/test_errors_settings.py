"""The exception hierarchy and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

import fairgate.errors as errors
from fairgate.settings import Settings, get_settings


def test_every_error_derives_from_fairgate_error_and_carries_an_http_status():
    classes = [getattr(errors, name) for name in errors.__all__]
    assert errors.FairgateError in classes
    for cls in classes:
        assert issubclass(cls, errors.FairgateError)
        assert 400 <= cls.status_code < 600
        body = cls("something went wrong", details={"field": "x"}).to_dict()
        assert body == {
            "error": cls.code,
            "message": "something went wrong",
            "details": {"field": "x"},
        }
    assert len({cls.code for cls in classes}) == len(classes)


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FAIRGATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("FAIRGATE_ALLOW_PICKLE", "yes")
    monkeypatch.setenv("FAIRGATE_MIN_GROUP_SIZE", "50")
    s = get_settings()
    assert s.home == tmp_path / "state"
    assert s.allow_pickle is True
    assert s.min_group_size == 50
    assert s.db_url == f"sqlite:///{tmp_path / 'state' / 'fairgate.db'}"
    assert not s.home.exists()  # nothing is created until asked
    s.ensure_home()
    assert s.artifacts_dir.is_dir() and s.reports_dir.is_dir()


def test_default_home_is_under_the_user_folder(monkeypatch):
    monkeypatch.delenv("FAIRGATE_HOME")
    assert Settings().home == Path.home() / ".fairgate"


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("FAIRGATE_ALLOW_PICKLE", "maybe", "is not a boolean"),
        ("FAIRGATE_MIN_GROUP_SIZE", "thirty", "is not a whole number"),
        ("FAIRGATE_MIN_GROUP_SIZE", "0", "is below 1"),
    ],
)
def test_bad_settings_name_the_variable(monkeypatch, name, value, match):
    monkeypatch.setenv(name, value)
    with pytest.raises(errors.ValidationError, match=f"{name}.*{match}"):
        get_settings()
