"""The algorithm registry: filings, store, lifecycle, ledger, breaker, service, client."""

__all__: list[str] = []
