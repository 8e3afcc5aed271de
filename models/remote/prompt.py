"""What an LLM is told for one segment, and how its answer is read back (strictly).

The system prompt carries everything the gateway knows about this text: the languages, the
register the brand wants, the glossary entries that occur in it, its format, and the placeholders
that must come back verbatim. The answer must be the translation alone; a chatty model's
preamble ("Here is the translation:"), wrapping quotes, code fences, reasoning blocks and trailing
notes are removed and *reported* (Hypothesis.notes), never silently; an answer with nothing left
fails the call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.base import PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, LanguagePair, TranslationRules
from models.errors import EngineFailure
from models.langcodes import english_name

_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_OPEN) + r"\d+" + re.escape(PLACEHOLDER_CLOSE))
_MAX_ENTRIES = 40  # per list in one prompt: more drowns the text itself

_REGISTER = {
    "formal": "Address the reader formally (polite forms such as Spanish 'usted', German 'Sie', French 'vous').",
    "informal": "Address the reader informally (familiar forms such as Spanish 'tú', German 'du', French 'tu').",
}
_FORMAT = {
    "html": "The text is HTML: keep every tag and attribute exactly as it is; translate only the text between tags.",
    "markdown": "The text is Markdown: keep its markup (links, emphasis, lists, code) exactly as it is.",
}


def _name(code: str) -> str:
    try:
        return f"{english_name(code)} ({code})"
    except Exception:  # a code the table lacks still reads fine to a model
        return code


def _occurs(entry: str, text: str) -> bool:
    return entry.casefold() in text.casefold()


def system_prompt(segment: str, pair: LanguagePair, rules: TranslationRules) -> str:
    """The instructions for translating `segment`; glossary entries that do not occur in it are left out."""
    lines = [
        "You translate customer-support messages.",
        f"Translate the user's message from {_name(pair.source)} into {_name(pair.target)}.",
        "Answer with the translation only: no preamble, no explanation, no notes, no quotation marks around it.",
    ]
    if _PLACEHOLDER.search(segment):
        lines.append(
            f"Tokens like {PLACEHOLDER_OPEN}0{PLACEHOLDER_CLOSE} stand for protected text: copy each one exactly, "
            "once, where it belongs in the translated sentence."
        )
    if rules.register:
        lines.append(_REGISTER[rules.register])
    if fmt := _FORMAT.get(rules.fmt):
        lines.append(fmt)
    keep = [k for k in rules.keep if _occurs(k, segment)][:_MAX_ENTRIES]
    if keep:
        lines.append("Keep these names exactly as written: " + ", ".join(f'"{k}"' for k in keep) + ".")
    terms = [t for t in rules.terms if _occurs(t.source, segment)][:_MAX_ENTRIES]
    if terms:
        lines.append(
            "Translate these terms exactly like this: " + "; ".join(f'"{t.source}" → "{t.target}"' for t in terms) + "."
        )
    if rules.forbidden:
        shown = ", ".join(f'"{w}"' for w in rules.forbidden[:_MAX_ENTRIES])
        lines.append(f"Never use these words in the translation: {shown}.")
    if rules.context:
        earlier = "\n".join(f"- {c}" for c in rules.context[-6:])
        lines.append("Earlier messages of this conversation, for context only (do not translate them):\n" + earlier)
    return "\n".join(lines)


def messages(segment: str, pair: LanguagePair, rules: TranslationRules) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": system_prompt(segment, pair, rules)},
        {"role": "user", "content": segment},
    ]


# A preamble names what follows ("translation", in a few languages) and ends with a colon.
_PREAMBLE = re.compile(
    r"\A\s*(?:[^\n:]{0,60}?\b)?(?:translation|translated|traducci[oó]n|traduction|tradu[cç][aã]o|traduzione|"
    r"übersetzung|vertaling|tłumaczenie)\b[^\n:]{0,60}:[ \t]*\n?",
    re.IGNORECASE,
)
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"\A```[\w-]*\n(.*?)\n?```\Z", re.DOTALL)
_NOTE = re.compile(r"\n\s*\(?(?:note|nota|remarque|anmerkung|hinweis|explanation)\b[^\n]*(?:\n.*)?\Z", re.DOTALL | re.I)
_QUOTES = [('"', '"'), ("“", "”"), ("„", "“"), ("«", "»"), ("'", "'"), ("‘", "’"), ("「", "」")]


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    notes: tuple[str, ...] = ()


def clean_answer(answer: str | None, source: str) -> Answer:
    """The translation in an LLM's answer, with what had to be removed reported; EngineFailure if none."""
    text = (answer or "").strip()
    notes: list[str] = []
    if _THINK.search(text):
        text = _THINK.sub("", text).strip()
        notes.append("the model's reasoning block was removed")
    if (m := _FENCE.match(text)) and not source.lstrip().startswith("```"):
        text = m.group(1).strip()
        notes.append("the model wrapped the answer in a code block; it was removed")
    m = _PREAMBLE.match(text)
    if m and not _PREAMBLE.match(source.strip()):
        if not text[m.end() :].strip():
            raise EngineFailure(f"the model answered with a preamble and no translation ({text[:80]!r})")
        notes.append(f"the model added a preamble ({m.group(0).strip()!r}); it was removed")
        text = text[m.end() :].strip()
    m = _NOTE.search(text)
    if m and not _NOTE.search("\n" + source) and text[: m.start()].strip():
        notes.append(f"the model added a note ({m.group(0).strip()[:60]!r}); it was removed")
        text = text[: m.start()].strip()
    src = source.strip()
    for left, right in _QUOTES:
        if len(text) > 2 and text.startswith(left) and text.endswith(right) and not src.startswith(left):
            inner = text[len(left) : -len(right)]
            if left not in inner and right not in inner:
                text = inner.strip()
                notes.append("the model put the translation in quotation marks; they were removed")
            break
    if not text:
        raise EngineFailure(
            "the model answered with no translation" + (f" ({answer.strip()[:80]!r})" if answer else "")
        )
    return Answer(text, tuple(notes))
