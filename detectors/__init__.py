"""Sensitive-variable and proxy detectors, counterfactual flip test, representation."""

__all__: list[str] = []
