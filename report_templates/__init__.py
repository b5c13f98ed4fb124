"""Jinja2 templates and message catalogs of the HTML audit report (package data)."""

__all__: list[str] = []
