"""Quality signals of one (source, translation) pair: pure functions, no engines, no I/O.

Each function measures one thing that goes wrong in machine translation and returns a number
(0 = nothing wrong) and, where that number means a problem, a plain-words detail for the editor.
`gateway/confidence.py` weighs them (the weights were fitted in bench/calibrate.py); the pipeline
and `POST /v1/quality` add what needs an engine (its score, the round trip) or a detector.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from gateway.patterns import describe, describe_rated, rated_table_for, table_for

_WORD = regex.compile(r"[\p{L}\p{M}]+(?:['’\-][\p{L}\p{M}]+)*")
_TOKEN = regex.compile(r"[\p{L}\p{M}\p{N}]+")
# Digits with their group and decimal separators: "1,000.50" and "1.000,50" are the same number.
_NUMBER = regex.compile(r"(?<![\p{L}\p{N}])\p{N}+(?:[.,\u00a0 ]\p{N}{3})*(?:[.,]\p{N}+)?(?![\p{N}])")
_URL = regex.compile(r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", regex.I)
_EMAIL = regex.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Words an engine should copy as they are: product names and codes ("COVID-19", "iPhone", "SKU42").
_CODE_NAME = regex.compile(r"(?<![\p{L}\p{N}])(?:\p{Lu}{2,}[\p{L}\p{N}\-]*|\p{Ll}+\p{Lu}[\p{L}\p{N}]*|\p{L}+\p{N}+)")
_NEEDS_SEGMENTER = frozenset({"zh", "ja", "ko"})  # wordfreq needs MeCab or jieba for these
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")


@dataclass(frozen=True, slots=True)
class Finding:
    value: float  # 0 = nothing found; larger = worse (each function says its scale)
    detail: str | None = None  # set when the value is worth telling an editor


def words(text: str) -> list[str]:
    """Lower-cased words, leaving out URLs and e-mail addresses (they are not language)."""
    return [w.lower() for w in _WORD.findall(_EMAIL.sub(" ", _URL.sub(" ", text)))]


def _units(text: str) -> list[str]:
    """Words, or characters for scripts written without spaces (Chinese, Japanese, Thai)."""
    if _CJK.search(text):
        return [ch for ch in text if not ch.isspace() and ch.isalnum()]
    return [t.lower() for t in _TOKEN.findall(text)]


def length_ratio(source: str, translation: str, expected: float = 0.0) -> Finding:
    """|log(translation length / source length) − the pair's usual log ratio|, in characters."""
    if not source.strip():
        return Finding(0.0)
    ratio = math.log((len(translation.strip()) + 1) / (len(source.strip()) + 1))
    off = abs(ratio - expected)
    if off < math.log(1.6):
        return Finding(off)
    longer = "longer" if ratio > expected else "shorter"
    return Finding(off, f"the translation is {math.exp(off):.1f}× {longer} than usual for this source")


def repetition(source: str, translation: str, max_n: int = 4) -> Finding:
    """Share of the translation's words that belong to n-grams repeated more often than in the source.

    A looping neural engine repeats a phrase the source says once ("the the the", "I am sorry I am sorry")."""
    src, out = _units(source), _units(translation)
    if len(out) < 3:
        return Finding(0.0)
    looped = [False] * len(out)
    for n in range(1, max_n + 1):
        src_counts = Counter(tuple(src[i : i + n]) for i in range(len(src) - n + 1))
        grams = [tuple(out[i : i + n]) for i in range(len(out) - n + 1)]
        counts = Counter(grams)
        # A word repeated twice is ordinary ("very very"); three times, or a phrase twice, is a loop.
        # Characters of Chinese or Japanese repeat all the time: only a run of 2+ thrice counts.
        cjk = bool(_CJK.search(translation))
        if cjk and n == 1:
            continue
        least = 3 if n == 1 or cjk else 2
        for i, g in enumerate(grams):
            # The source may repeat itself too, in another language: allow its own most repeated n-gram's count.
            allowed = max(src_counts.get(g, 0), max(src_counts.values(), default=0)) + (1 if n == 1 else 0)
            if counts[g] >= least and counts[g] > allowed:
                for j in range(i, i + n):
                    looped[j] = True
    share = sum(looped) / len(out)
    if share < 0.2:
        return Finding(share)
    return Finding(share, f"{round(100 * share)} % of the translation repeats itself")


def untranslated(source: str, translation: str) -> Finding:
    """Share of the source's words (3+ letters, not names or codes) copied unchanged into the translation."""
    names = {w.lower() for w in _CODE_NAME.findall(source)}
    src = [w for w in words(source) if len(w) >= 3 and w not in names]
    if not src:
        return Finding(0.0)
    if source.strip() == translation.strip():
        return Finding(1.0, "the translation is identical to the source")
    out = Counter(words(translation))
    copied = [w for w in src if out[w] > 0]
    share = len(copied) / len(src)
    if share < 0.5 or len(copied) < 2:
        return Finding(share)
    shown = ", ".join(repr(w) for w in copied[:5])
    return Finding(share, f"{len(copied)} of {len(src)} source words were left untranslated: {shown}")


def _number_key(text: str) -> str:
    return regex.sub(r"\D", "", text)


def mismatches(source: str, translation: str) -> Finding:
    """How many numbers, URLs, e-mail addresses and product names/codes differ between the two (0..)."""
    problems: list[str] = []
    for what, find, key in (
        ("number", _NUMBER.findall, _number_key),
        ("URL", _URL.findall, str),
        ("e-mail address", _EMAIL.findall, str.lower),
    ):
        src = Counter(key(x) for x in find(source))
        out = Counter(key(x) for x in find(translation))
        missing = list((src - out).elements())
        extra = list((out - src).elements())
        # One problem per kind: a changed number is one missing plus one extra.
        if missing and extra:
            problems.append(f"{what} {', '.join(missing[:3])} became {', '.join(extra[:3])}")
        elif missing:
            problems.append(f"{what} {', '.join(missing[:3])} missing")
        elif extra:
            problems.append(f"{what} {', '.join(extra[:3])} not in the source")
    out_words = {t.lower() for t in _TOKEN.findall(translation)} | {w.lower() for w in _CODE_NAME.findall(translation)}
    lost = [n for n in dict.fromkeys(_CODE_NAME.findall(source)) if n.lower() not in out_words and not n.isdigit()]
    # Only names that also look like names in the source's own script count: an acronym may be translated.
    lost = [n for n in lost if any(ch.isdigit() for ch in n) or not n.isupper()]
    if lost:
        problems.append(f"name {', '.join(lost[:3])} missing")
    if not problems:
        return Finding(0.0)
    return Finding(float(len(problems)), "; ".join(problems))


WordFrequency = Callable[[str, str], float]  # (word, lang) -> Zipf frequency (0 = unseen, 8 = "the")


@lru_cache(maxsize=64)
def has_wordlist(lang: str) -> bool:
    import wordfreq

    return lang in wordfreq.available_languages("small") and lang not in _NEEDS_SEGMENTER


@lru_cache(maxsize=1)
def _wordfreq() -> WordFrequency:
    import wordfreq  # loaded on first use: the word lists take ~1 s and ~100 MB

    def zipf(word: str, lang: str) -> float:
        return wordfreq.zipf_frequency(word, lang, wordlist="small")

    return zipf


def rarity(text: str, lang: str, zipf: WordFrequency | None = None) -> Finding:
    """Mean rarity of the text's words in `lang`: 7 − Zipf frequency, so common words ≈ 1–2, unseen 7.

    On the source it says how hard the text is (rare terms are what engines get wrong); on the
    output, how much of it is not ordinary `lang` (unknown words, garbled forms, another language)."""
    ws = [w for w in words(text) if not w.isdigit()]
    if not ws or lang in _NEEDS_SEGMENTER or _CJK.search(text):
        # Chinese and Japanese need a word segmenter (jieba, MeCab) that the gateway does not ship.
        return Finding(0.0)
    try:
        zipf = zipf or _wordfreq()
        values = [7.0 - min(7.0, zipf(w, lang)) for w in ws]
    except (LookupError, ValueError):  # wordfreq has no list for this language: no evidence
        return Finding(0.0)
    return Finding(sum(values) / len(values))


def plainness(source: str) -> Finding:
    """How little of the source carries over verbatim: 1 − share of tokens that are numbers or capitalised.

    Names, codes and numbers pass through any engine unchanged and are rarely wrong; sentences of
    plain lower-case prose are where a rule-based engine's word choice and order go astray
    (bench/README.md (calibration): on TICO-19 this alone reaches AUROC 0.59)."""
    tokens = _TOKEN.findall(source)
    if not tokens or not any(ch.isupper() or ch.islower() for ch in source if ch.isalpha()):
        return Finding(0.0)  # a script without case (Devanagari, Sinhala, Han) says nothing here
    literal = sum(1 for i, t in enumerate(tokens) if t[0].isdigit() or (i > 0 and t[0].isupper()))
    return Finding(1.0 - literal / len(tokens))


def word_length(source: str) -> Finding:
    """Mean letters per source word: short everyday words are the ambiguous ones."""
    ws = words(source)
    return Finding(sum(map(len, ws)) / len(ws) if ws else 0.0)


def round_trip(source: str, back: str) -> Finding:
    """1 − chrF(back-translation, source)/100: how much meaning was lost there and back."""
    from sacrebleu.metrics import CHRF  # import here, not at start-up: it pulls in numpy

    chrf = CHRF().sentence_score(back, [source]).score / 100.0
    value = 1.0 - chrf
    if value < 0.6:
        return Finding(value)
    return Finding(value, f"translated back it reads {back[:80]!r} (chrF {100 * chrf:.0f} against the source)")


def round_trip_words(source: str, back: str) -> Finding:
    """1 − word F1 of the back-translation against the source: whole words lost or changed.

    chrF forgives a word that comes back in another form; this counts it, so the two disagree
    where a word was mistranslated rather than inflected differently."""
    src, got = Counter(words(source)), Counter(words(back))
    shared = sum((src & got).values())
    if not src or not got:
        return Finding(0.0 if not src and not got else 1.0)
    f1 = 2 * shared / (sum(src.values()) + sum(got.values()))
    return Finding(1.0 - f1)


def generation_errors(details: Mapping[str, float]) -> Finding:
    """How many words the engine marked as generation errors (Apertium's #: a form it could not build)."""
    count = sum(v for k, v in details.items() if k.endswith("generation_errors"))
    if not count:
        return Finding(0.0)
    return Finding(float(count), f"the engine could not build the right form of {int(count)} word(s)")


def output_words(
    source: str, translation: str, source_lang: str, target_lang: str, zipf: WordFrequency | None = None
) -> tuple[Finding, Finding]:
    """Two shares of the translation's words: (left in the source language, unseen in the target language).

    A word at least ten times more frequent in the source language than in the target
    ("chest" in Spanish text) was most likely copied or half-translated; a word the target's
    word list has never seen is garbled or a raw unknown. Both need a word list for the language."""
    ws = [w for w in words(translation) if not w.isdigit()]
    if not ws or _CJK.search(translation) or {source_lang, target_lang} & _NEEDS_SEGMENTER:
        return Finding(0.0), Finding(0.0)
    try:
        zipf = zipf or _wordfreq()
        pairs = [(w, zipf(w, target_lang), zipf(w, source_lang)) for w in ws]
    except (LookupError, ValueError):
        return Finding(0.0), Finding(0.0)
    foreign = [w for w, t, s in pairs if s > t + 1.0]
    unseen = [w for w, t, _ in pairs if t == 0.0]
    share, unseen_share = len(foreign) / len(ws), len(unseen) / len(ws)
    left = Finding(share)
    if share >= 0.15 and len(foreign) >= 2:
        shown = ", ".join(repr(w) for w in dict.fromkeys(foreign[:5]))
        left = Finding(share, f"{len(foreign)} of {len(ws)} words read as {source_lang}, not {target_lang}: {shown}")
    gone = Finding(unseen_share)
    if unseen_share >= 0.15 and len(unseen) >= 2:
        shown = ", ".join(repr(w) for w in dict.fromkeys(unseen[:5]))
        gone = Finding(unseen_share, f"{len(unseen)} of {len(ws)} words are not known {target_lang} words: {shown}")
    return left, gone


def common_words(source: str, lang: str, zipf: WordFrequency | None = None) -> Finding:
    """Share of the source's words that are among the most frequent of `lang` (Zipf ≥ 5.5: "get", "take", "over").

    The commonest words have the most senses, and a rule-based engine picks one of them blindly."""
    ws = [w for w in words(source) if not w.isdigit()]
    if not ws or lang in _NEEDS_SEGMENTER or _CJK.search(source):
        return Finding(0.0)
    try:
        zipf = zipf or _wordfreq()
        return Finding(sum(zipf(w, lang) >= 5.5 for w in ws) / len(ws))
    except (LookupError, ValueError):
        return Finding(0.0)


def wrong_language(detected: str | None, detected_confidence: float, source_lang: str, target_lang: str) -> Finding:
    """1 when language identification on the output finds the source language rather than the target."""
    if detected is None or detected == target_lang:
        return Finding(0.0)
    if detected == source_lang:
        return Finding(
            detected_confidence, f"the translation reads as {source_lang}, not {target_lang}"
        )  # 0..1, how sure
    return Finding(detected_confidence, f"the translation reads as {detected}, not {target_lang}")


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    total = sum(weights)
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total if total else 0.0


def engine_doubt(score: float, unknown: int = 0, words: int = 0) -> Finding:
    """1 − exp(mean log-probability): Apertium's unknown-word share, a neural engine's doubt."""
    value = 1.0 - math.exp(max(min(score, 0.0), -20.0))
    if unknown:
        return Finding(value, f"{unknown} of {words} words were unknown to the engine")
    if value >= 0.5:
        return Finding(value, f"the engine was unsure (mean token log-probability {score:.2f})")
    return Finding(value)


def _without(text: str, protected: Sequence[str]) -> str:
    for piece in sorted({p for p in protected if p}, key=len, reverse=True):
        text = text.replace(piece, " ")
    return text


def measure(
    source: str,
    translation: str,
    source_lang: str,
    target_lang: str,
    *,
    engine: Finding | None = None,
    engine_details: Mapping[str, float] | None = None,
    back: str | None = None,
    detected: tuple[str | None, float] | None = None,
    expected_log_ratio: float = 0.0,
    zipf: WordFrequency | None = None,
    protected: Sequence[str] = (),
) -> dict[str, Finding]:
    """Every signal that applies; those that need an engine or a detector only when given.

    `protected` lists text kept verbatim on purpose (brand names, URLs, codes): the word-list
    signals skip it, or a brand called "Shop Pay" would read as English words in Spanish."""
    words_source, words_translation = _without(source, protected), _without(translation, protected)
    found = {
        "length_ratio": length_ratio(source, translation, expected_log_ratio),
        "repetition": repetition(source, translation),
        "untranslated": untranslated(source, translation),
        "mismatch": mismatches(source, translation),
        "plainness": plainness(source),
        "word_length": word_length(source),
    }
    # Without a word list for the language there is no evidence: leave the feature out (neutral).
    if zipf is not None or has_wordlist(source_lang):
        found["source_rarity"] = rarity(words_source, source_lang, zipf)
        found["common_words"] = common_words(words_source, source_lang, zipf)
    if zipf is not None or has_wordlist(target_lang):
        found["output_rarity"] = rarity(words_translation, target_lang, zipf)
        if zipf is not None or has_wordlist(source_lang):
            found["foreign_words"], found["unseen_words"] = output_words(
                words_source, words_translation, source_lang, target_lang, zipf
            )
    if engine is not None:
        found["engine_score"] = engine
    if engine_details is not None:
        found["generation_errors"] = generation_errors(engine_details)
    if back is not None:
        found["round_trip"] = round_trip(source, back)
        found["round_trip_words"] = round_trip_words(source, back)
    if detected is not None:
        found["wrong_language"] = wrong_language(detected[0], detected[1], source_lang, target_lang)
    found["source_words"] = Finding(float(len(words_source.split())))  # context for the rules, in no model
    if (table := table_for(target_lang)) is not None:
        found_hits = table.hits(translation)
        evidence, hits = table.weigh(found_hits)
        found["error_patterns"] = Finding(evidence, describe(hits) or None)
        # Text from another maker (a person, another engine) is held to the unambiguous patterns.
        evidence, hits = table.weigh(found_hits, strict=True)
        found["error_patterns_strict"] = Finding(evidence, describe(hits) or None)
    if (rated := rated_table_for(target_lang)) is not None:
        evidence, hits = rated.evidence(source, translation)
        found["rated_wording"] = Finding(evidence, describe_rated(hits) or None)
    return found
