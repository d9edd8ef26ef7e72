"""Errors a user can act on: the CLI prints their message, never a traceback."""


class SegprofError(Exception):
    """An expected failure whose message says what is wrong and where."""


class ConfigError(SegprofError):
    """The config file is missing, not YAML, or does not validate."""


class SourceError(SegprofError):
    """A source file is missing, empty, unreadable or lacks a mapped column."""


class QualityError(SegprofError):
    """A blocking data-quality check failed."""
