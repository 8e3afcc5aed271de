"""What to protect: find URLs, e-mails, numbers, amounts, slots, placeholders, mentions, hashtags,
emoji and brand terms in plain text. Pure functions; `protect.py` turns the spans into placeholders.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import emoji
import regex

from models.base import PLACEHOLDER_CLOSE as CLOSE
from models.base import PLACEHOLDER_OPEN as OPEN

_SLOT = r"\{\{\{[^{}\n]{0,100}\}\}\}|\{\{[^{}\n]{0,100}\}\}"
_URL_CHAR = rf"(?:{_SLOT}|[^\s<>\"{{}}{OPEN}{CLOSE}])"
# Bare domains only with common top-level domains; those that are also words ("it", "in", "me")
# need a path, so "order.it" from a missing space stays text.
_TLD = (
    "com|net|org|edu|gov|mil|int|io|ai|app|dev|info|biz|shop|store|online|site|tech|cloud|xyz|eu|uk|de|"
    "es|fr|nl|ch|pt|br|mx|ar|cl|pe|ca|au|nz|jp|cn|kr|ru|pl|se|dk|fi|ie|cz|gr|tr|ro|hu|sk|ua|za|sg|hk|tw|"
    "il|ae|vn|ph|tv|fm|gg|ly"
)
_WORDY_TLD = "it|in|at|me|no|be|us|co|to|is|am|my|by|as|so|do|go|id"
_URL = regex.compile(
    rf"(?i:(?:https?|ftp)://|www\.){_URL_CHAR}+"
    # Atomic, with each dot followed by a label: no backtracking, so "a.a.a.…" stays linear.
    rf"|(?<![\w@./:\-])(?>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.(?=[A-Za-z0-9]))+)"
    rf"(?:(?:{_TLD})(?![\w\-])|(?:{_WORDY_TLD})(?=/))(?::\d{{2,5}})?(?:/{_URL_CHAR}*)?"
)
_EMAIL = regex.compile(
    r"(?<![\w.+\-])(?:mailto:)?[\w.+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w\-])"
)
_SLOTS = regex.compile(
    rf"{_SLOT}|\{{%[^\n]{{0,100}}?%\}}|\$\{{[^{{}}\n]{{1,60}}\}}"
    r"|\{[\w.\-]{1,60}(?:[,:!][^{}\n]{0,40})?\}|\[\[[^\[\]\n]{1,80}\]\]"
)
_PLACEHOLDERS = regex.compile(
    # printf: %s %d %.2f %1$s %(name)s; not "50% off" (the letter after the conversion).
    r"%(?:\([\w.\-]+\)|[1-9]\d*\$)?[\-+#0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|ll|[hlLzjtq])?"
    r"[diouxXeEfFgGaAcspn@](?![\p{L}\p{N}])"
    r"|%[A-Za-z_][A-Za-z0-9_]{0,40}%|#[A-Za-z_][\w.\-]{0,40}#|<<[\w .\-]{1,40}>>"
)
# Template blanks such as "[Customer Support Phone Number]" or "[NAME]" (not "[Note]", a word).
_TITLE_WORD = rf"(?:[\p{{Lu}}\p{{N}}][\p{{L}}\p{{N}}_'’&/.\-]*|{_SLOT})"
_MINOR_WORD = r"(?:of|and|or|to|the|for|per|a|an|in|on|at|with|by|from|de|del|la|el|y|et|du|und)"
_BRACKETED = regex.compile(rf"\[(?P<words>{_TITLE_WORD}(?:[ \t]+(?:{_TITLE_WORD}|{_MINOR_WORD}))*)\](?![(\[:])")
_CODE_WORD = regex.compile(r"[\p{Lu}\p{N}_]{2,}")
_MENTION = regex.compile(r"(?<![\w@.+\-])@[\p{L}\p{N}_](?:[\p{L}\p{N}_.\-]*[\p{L}\p{N}_])?")
_HASHTAG = regex.compile(r"(?<![\w#&])#[\p{L}_][\p{L}\p{N}_]*")
_EMOTICON = regex.compile(r"(?<!\S)(?:[:;=][\-^']?[)(\]\[DPpO*]|<3|\^_\^|[xX]D)(?=[\s.,!?]|\Z)")
_EMOJI_RUN = regex.compile(r"[\p{Emoji}\p{Emoji_Component}\u200d\ufe0f\u20e3]+")
_SHORTCODE = regex.compile(r"(?<![\w:]):[a-z0-9_+\-]{2,40}:(?![\w:])")
# A word-like chunk around a digit, found from the digit outwards: scanning every word is slow.
_CHUNK_LEFT = regex.compile(r"(?r)(?:[\p{L}\p{N}_]+[\-/:.,])*[\p{L}\p{N}_]*")
_CHUNK_RIGHT = regex.compile(r"[\p{L}\p{N}_]*(?:[\-/:.,][\p{L}\p{N}_]+)*")
_JUNCTION = regex.compile(r"[\-/:.,]")
_DIGIT = regex.compile(r"\p{N}")
_CURRENCY = "USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|MXN|BRL|INR|CNY|SEK|NOK|DKK|PLN|CZK|HUF|TRY|ZAR|RUB|ARS|CLP|COP"
_AMOUNT_BEFORE = regex.compile(
    rf"(?:(?<![\p{{L}}])(?:US|CA|AU|NZ|HK|NT|R|C|A|S)?\$|[€£¥₹₽₩¢₺₱฿]|(?<![\p{{L}}])(?:{_CURRENCY})[ \u00a0]?)\Z"
)
_AMOUNT_AFTER = regex.compile(rf"(?:%|‰|[€£¥₹₽₩¢₺₱฿]|[ \u00a0]?(?:{_CURRENCY})(?![\p{{L}}]))")
_NUMBER_BEFORE = regex.compile(r"(?<![\w#+])[#№+]\Z")
_NUMBER_AFTER = regex.compile(r"°[CF]?(?![\p{L}])")


def keep_pattern(keep: Sequence[str]) -> regex.Pattern[str] | None:
    """One pattern for do-not-translate terms: whole words, exact case, longest first."""
    terms = sorted({t for t in keep if t.strip()}, key=lambda t: (-len(t), t))
    if not terms:
        return None
    return regex.compile(r"(?<!\w)(?:" + "|".join(regex.escape(t) for t in terms) + r")(?!\w)")


def find_spans(
    text: str, terms: regex.Pattern[str] | None = None, forced: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) of everything to protect in plain text, in order."""
    # Lower ranks win overlaps; within a rank the earlier, then the longer match wins.
    candidates = sorted(_candidates(text, terms, forced), key=lambda c: (c[3], c[0], c[0] - c[1]))
    taken = bytearray(len(text))
    chosen: list[tuple[int, int, str]] = []
    for start, end, kind, _ in candidates:
        if end > start and not any(taken[start:end]):
            taken[start:end] = b"\1" * (end - start)
            chosen.append((start, end, kind))
    return sorted(chosen)


def _candidates(
    text: str, terms: regex.Pattern[str] | None, forced: Sequence[tuple[int, int]]
) -> Iterator[tuple[int, int, str, float]]:
    for start, end in forced:
        yield start, end, "markup", 0
    for m in regex.finditer(f"[{OPEN}{CLOSE}]", text):
        yield m.start(), m.end(), "literal", 0
    for m in _URL.finditer(text):
        yield m.start(), m.start() + len(_trim_url(m.group(0))), "url", 1
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "email", 1
    if terms is not None:
        for m in terms.finditer(text):
            yield m.start(), m.end(), "term", 2
    for m in _SLOTS.finditer(text):
        yield m.start(), m.end(), "slot", 3
    for m in _PLACEHOLDERS.finditer(text):
        yield m.start(), m.end(), "placeholder", 4
    for m in _BRACKETED.finditer(text):
        words = m.group("words").split()
        if len(words) > 1 or _CODE_WORD.fullmatch(words[0]):
            yield m.start(), m.end(), "placeholder", 4
    for m in _MENTION.finditer(text):
        yield m.start(), m.end(), "mention", 5
    for m in _HASHTAG.finditer(text):
        yield m.start(), m.end(), "hashtag", 5
    yield from _emoji(text)
    if _DIGIT.search(text):
        yield from _numbers(text)


def _trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets after a URL."""
    pairs = {")": "(", "]": "[", "}": "{"}
    while url:
        last = url[-1]
        if last in ".,;:!?'\"*_~’”»" or (last in pairs and url.count(last) > url.count(pairs[last])):
            url = url[:-1]
        else:
            break
    return url


def _emoji(text: str) -> Iterator[tuple[int, int, str, float]]:
    for m in _EMOTICON.finditer(text):
        yield m.start(), m.end(), "emoji", 6
    for m in _SHORTCODE.finditer(text):
        if emoji.emojize(m.group(0), language="alias") != m.group(0):
            yield m.start(), m.end(), "emoji", 6
    # emoji_list is slow on long texts: give it only the runs of emoji-like characters.
    for run in _EMOJI_RUN.finditer(text):
        if not run.group(0).isascii():
            for e in emoji.emoji_list(run.group(0)):
                yield run.start() + e["match_start"], run.start() + e["match_end"], "emoji", 6


def _numbers(text: str) -> Iterator[tuple[int, int, str, float]]:
    """Digit-bearing tokens, widened to a currency, percent sign, '#' or brackets around them."""
    for lo, hi in _digit_chunks(text):
        for start, end in _split_chunk(text[lo:hi], lo):
            yield start, end, "number", 7.5  # the bare token, should a wider match lose an overlap
            # A short window: searching from 0 would make long texts quadratic.
            window = max(0, start - 5)
            before = _AMOUNT_BEFORE.search(text, window, start) or _NUMBER_BEFORE.search(text, window, start)
            after = _AMOUNT_AFTER.match(text, end) or _NUMBER_AFTER.match(text, end)
            wide_start = before.start() if before else start
            wide_end = after.end() if after else end
            if (wide_start, wide_end) == (start, end) and text[start - 1 : start] == "(" and text[end : end + 1] == ")":
                wide_start, wide_end = start - 1, end + 1  # "(555)" in a phone number
            money = (before and before.re is _AMOUNT_BEFORE) or (after and after.re is _AMOUNT_AFTER)
            if (wide_start, wide_end) != (start, end):
                yield wide_start, wide_end, "amount" if money else "number", 7


def _digit_chunks(text: str) -> Iterator[tuple[int, int]]:
    """Ranges of "A-1234-XY"-like chunks that hold a digit."""
    covered = 0
    for digit in _DIGIT.finditer(text):
        if digit.start() < covered:
            continue
        left = _CHUNK_LEFT.match(text, 0, digit.start())
        right = _CHUNK_RIGHT.match(text, digit.end())
        lo, hi = (left.start() if left else digit.start()), (right.end() if right else digit.end())
        yield lo, hi
        covered = hi


def _split_chunk(chunk: str, offset: int) -> Iterator[tuple[int, int]]:
    """Cut "30-day" into "30" and "day", keep "A-1234-XY", "10:30", "1,299.00" whole."""
    start = prev = 0  # where the current token starts; where the current part starts
    for m in _JUNCTION.finditer(chunk):
        following = _JUNCTION.search(chunk, m.end())
        right = chunk[m.end() : following.start() if following else len(chunk)]
        if not _joins(chunk[prev : m.start()], m.group(0), right):
            if _DIGIT.search(chunk, start, m.start()):
                yield offset + start, offset + m.start()
            start = m.end()
        prev = m.end()
    if _DIGIT.search(chunk, start):
        yield offset + start, offset + len(chunk)


def _joins(left: str, sep: str, right: str) -> bool:
    if sep in ".,:":
        return left[-1:].isdecimal() and right[:1].isdecimal()
    return not (_is_word(left) or _is_word(right))


def _is_word(part: str) -> bool:
    """An ordinary word, not a code: "day", "Order" (but not "A", "XY", "COVID")."""
    return part.isalpha() and len(part) > 1 and not part.isupper()
