"""DeepL's `ignore_tags`: elements whose content must come back untranslated.

The gateway's markup protection keeps tags but translates the text between them, so before the
pipeline each ignored element is swapped for a self-closing placeholder tag (which the protection
keeps as markup, like any tag) and put back after it."""

from __future__ import annotations

import re

_NAME = re.compile(r"^[A-Za-z][\w:.-]*$")
_PLACEHOLDER = re.compile(r'<tg-keep n="(\d+)"\s*/>')


def tag_names(values: list[object]) -> list[str]:
    """DeepL's tag lists: a list, or comma-separated strings, or both."""
    names = [part.strip() for v in values for part in str(v).split(",") if part.strip()]
    return [n for n in dict.fromkeys(names) if _NAME.match(n)]


def hide(text: str, tags: list[str]) -> tuple[str, list[str]]:
    """The text with each ignored element (or self-closing ignored tag) replaced by a placeholder."""
    if not tags:
        return text, []
    names = "|".join(re.escape(t) for t in tags)
    element = re.compile(rf"<({names})(?=[\s/>])[^<>]*?(?:/>|>.*?</\1\s*>)", re.DOTALL | re.IGNORECASE)
    kept: list[str] = []

    def swap(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f'<tg-keep n="{len(kept) - 1}"/>'

    return element.sub(swap, text), kept


def restore(text: str, kept: list[str]) -> str:
    if not kept:
        return text
    return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))] if int(m.group(1)) < len(kept) else m.group(0), text)
