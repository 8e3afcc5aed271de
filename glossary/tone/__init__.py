"""Tone: a brand's register (formal or informal address) per target language, checked and fixed.

`check_tone` finds second-person forms of the wrong register in a translation, rewrites those that
have exactly one correct replacement (possessives, unambiguous pronouns and, when a `Morphology`
is passed in, verb forms it can regenerate) and reports the rest, with offsets into the text it
was given. Forms that are also third person (es su/le/se, de sentence-initial Sie/Ihr, it lei/suo)
are never flagged. Pure: no processes, no I/O; an analyser is injected by the caller.
"""

from glossary.tone.check import check_tone
from glossary.tone.core import (
    REGISTERS,
    TONE_LANGUAGES,
    Analysis,
    Morphology,
    Register,
    ToneIssue,
    ToneProfile,
    ToneResult,
    tone_language,
)

__all__ = [
    "REGISTERS",
    "TONE_LANGUAGES",
    "Analysis",
    "Morphology",
    "Register",
    "ToneIssue",
    "ToneProfile",
    "ToneResult",
    "check_tone",
    "tone_language",
]
