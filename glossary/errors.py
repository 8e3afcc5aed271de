"""Errors raised by glossary code; the gateway maps them to HTTP (422) in one place."""

from __future__ import annotations


class GlossaryError(Exception):
    """Root of glossary errors: a bad entry, a bad file."""


class InvalidTerm(GlossaryError):
    """One entry is wrong; the message says which field and how to fix it."""


class DuplicateTerm(InvalidTerm):
    """The entry would duplicate one the termbase already holds (a conflict with its state)."""


class ImportFailed(GlossaryError):
    """A file import found errors; nothing was applied. `errors` holds (line number, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"line {line}: {msg}" for line, msg in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s), nothing imported: {shown}{more}")
