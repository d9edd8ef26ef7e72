"""Errors a user can act on: the CLI prints their message, never a traceback."""


class SegprofError(Exception):
    """An expected failure whose message says what is wrong and where.

    Several problems found at once are separate arguments (`problems`); one problem may span lines.
    """

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class ConfigError(SegprofError):
    """The config file is missing, not YAML, or does not validate."""


class SourceError(SegprofError):
    """A source file is missing, empty, unreadable or lacks a mapped column."""


class QualityError(SegprofError):
    """A blocking data-quality check failed."""


def shown(value: object, limit: int = 60) -> str:
    """`value` as messages quote it: control characters as \\xNN, cut to `limit` characters.

    Values in messages come from input files: they must not move a terminal's cursor or flood a report.
    The same rule as the `shown` macro of sql/ingest/create_shown_macro.sql.
    """
    text = str(value)
    escaped = "".join(f"\\x{ord(c):02X}" if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text[:limit])
    return escaped + ("…" if len(text) > limit else "")
