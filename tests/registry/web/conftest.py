"""Fixtures of the web page tests: one headless Chromium per module."""

from tests.fixtures.browser import chromium  # noqa: F401 (fixture)
