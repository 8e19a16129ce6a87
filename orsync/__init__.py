"""orsync: OpenRouter observability destinations as code."""

__version__ = "0.1.0"
