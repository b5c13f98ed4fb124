"""The REST routers of the service."""

__all__ = []
