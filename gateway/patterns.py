"""Known mistranslation patterns: target-language word n-grams that reviewers marked as errors.

Rule-based output goes wrong in the same few ways over and over ("complacer" for *please*,
"Gracias Para", "vuestro orden", "Tendré un cariz"). From labelled replies (bench/fit.py, on
`support-fit`: real agent messages, the gateway's Spanish, reviewers' MQM error spans) we count,
for every word and word pair of the output, how often it sat inside a major or critical error
span. A translation's `error_patterns` value is the evidence its n-grams carry beyond the usual:
Σ max(0, logit p(n-gram is an error) − logit p(any n-gram is)), so one notorious word weighs
more than several mild ones, ordinary words ("de", "la") add nothing however long the text, and
an output made only of unremarkable Spanish scores 0. (Cross-validated on support-fit this
log-odds sum ranks fit against unfit better than a noisy-OR over all n-grams: bench/fit.py.)

The tables are data (gateway/defaults/patterns/<lang>.tsv, written by `bench/fit.py --fit`), one
per target language; a language without a table has no such signal. They hold word n-grams of
Spanish only (no names: every word is in the language's word list), with counts, not sentences.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import regex

TABLES = Path(__file__).resolve().parent / "defaults" / "patterns"
MAX_N = 2
# p(error | n-gram) = (bad + PRIOR_BAD) / (seen + PRIOR_SEEN): a pair seen once inside an error
# span counts as likely wrong, one seen once in a clean place as almost surely fine. Chosen in
# bench/fit.py's cross-validation (a small grid, reported there), not per item.
PRIOR_BAD = 0.025
PRIOR_SEEN = 1.5
_CAP = 0.99  # no single n-gram is certain proof

# Words, anonymised placeholders (#NAME#) and the punctuation that changes meaning in Spanish.
_TOKEN = regex.compile(r"#\w+#|[\p{L}\p{M}]+(?:['’][\p{L}]+)?|\p{N}+|[¿?¡!.,;:]")


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def ngrams(toks: Sequence[str], max_n: int = MAX_N) -> set[str]:
    return {" ".join(toks[i : i + n]) for n in range(1, max_n + 1) for i in range(len(toks) - n + 1)}


@dataclass(frozen=True, slots=True)
class Pattern:
    bad: int  # times the n-gram was inside a major/critical error span
    seen: int  # replies it occurred in

    @property
    def p_error(self) -> float:
        return min(_CAP, (self.bad + PRIOR_BAD) / (self.seen + PRIOR_SEEN))


@dataclass(frozen=True, slots=True)
class Hit:
    ngram: str
    pattern: Pattern


class PatternTable:
    """n-gram → Pattern for one target language, and how often any n-gram was an error."""

    def __init__(self, patterns: dict[str, Pattern], baseline: float | None = None) -> None:
        self.patterns = patterns
        if baseline is None:
            seen = sum(p.seen for p in patterns.values())
            baseline = sum(p.bad for p in patterns.values()) / seen if seen else 0.5
        self.baseline = min(max(baseline, 1e-3), 1 - 1e-3)
        self._floor = _logit(self.baseline)

    def hits(self, translation: str) -> list[Hit]:
        found = (Hit(g, self.patterns[g]) for g in ngrams(tokens(translation)) if g in self.patterns)
        return sorted(found, key=lambda h: (-h.pattern.p_error, h.ngram))

    def evidence(self, translation: str, strict: bool = False) -> tuple[float, list[Hit]]:
        """Σ of the log-odds above the baseline over the translation's n-grams, and the hits that
        carried some (worst first).

        `strict` counts only unambiguous mistakes (see _unambiguous): for text not made by the
        engine the table was learned on. "tiene" is usually wrong in Apertium's output ("Tiene un
        día bueno") and fine in a person's; "complacer" and "gracias para" are wrong in both."""
        return self.weigh(self.hits(translation), strict)

    def weigh(self, hits: Sequence[Hit], strict: bool = False) -> tuple[float, list[Hit]]:
        """`evidence` over hits already found (both readings of one text share one look-up)."""
        kept = [h for h in hits if h.pattern.p_error > self.baseline and (not strict or _unambiguous(h))]
        return sum(_logit(h.pattern.p_error) - self._floor for h in kept), kept

    @classmethod
    def learn(cls, items: Iterable[tuple[str, Sequence[str]]], keep: frozenset[str] | None = None) -> PatternTable:
        """From (translation, error spans) pairs. `keep`, when given, is a word list: n-grams with
        a word outside it (names, typos) are left out, so a table holds only the language's words."""
        bad: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        for translation, spans in items:
            in_spans = set().union(*(ngrams(tokens(s)) for s in spans)) if spans else set()
            for g in ngrams(tokens(translation)):
                if keep is not None and not all(_keepable(w, keep) for w in g.split(" ")):
                    continue
                seen[g] += 1
                bad[g] += g in in_spans
        return cls({g: Pattern(bad[g], n) for g, n in seen.items()})

    def dump(self, path: Path) -> None:
        rows = sorted(self.patterns.items(), key=lambda kv: (-kv[1].p_error, kv[0]))
        lines = [f"# baseline\t{self.baseline:.6f}", "ngram\tbad\tseen"] + [f"{g}\t{p.bad}\t{p.seen}" for g, p in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> PatternTable:
        patterns: dict[str, Pattern] = {}
        with path.open(encoding="utf-8") as f:
            baseline = float(next(f).rstrip("\n").split("\t")[1])  # "# baseline<TAB>p"
            next(f)  # column names
            for line in f:
                gram, bad, seen = line.rstrip("\n").split("\t")
                patterns[gram] = Pattern(int(bad), int(seen))
        return cls(patterns, baseline)


def _unambiguous(hit: Hit) -> bool:
    """Wrong whoever wrote it: wrong every time it was seen (at least twice), or a word pair wrong
    in three of four sightings or more ("gracias para"; a single word that common, like "tiene",
    is right in other contexts)."""
    p = hit.pattern
    if p.bad == p.seen >= 2:
        return True
    return " " in hit.ngram and p.bad >= 3 and p.bad >= 0.75 * p.seen


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _keepable(word: str, keep: frozenset[str]) -> bool:
    return word in keep or not word[0].isalpha()  # punctuation, numbers and #PLACEHOLDERS# stay


@cache
def table_for(lang: str) -> PatternTable | None:
    """The shipped table for a target language, or None (loaded once per process)."""
    path = TABLES / f"{lang}.tsv"
    return PatternTable.read(path) if path.is_file() else None


def describe(hits: Sequence[Hit], limit: int = 3) -> str:
    """The hits an editor can act on: those wrong in most of the replies they were seen in (a
    common word such as "de" adds a little evidence, but naming it would only confuse)."""
    telling = [h for h in hits if h.pattern.bad >= 2 and h.pattern.bad >= 0.6 * h.pattern.seen]
    shown = "; ".join(
        f"{h.ngram!r} (marked wrong in {h.pattern.bad} of {h.pattern.seen} reviewed replies)" for h in telling[:limit]
    )
    if shown:
        return f"known mistranslations: {shown}"
    return "wording that reviewers often marked wrong in rule-based output" if hits else ""


# ---------------------------------------------------------------- rated wording (other makers)

SOURCE_MARK = "S:"  # source words sit in the same table, marked
RATED_PRIOR = 5.0  # pseudo-count at the baseline: an n-gram seen a few times says little
RATED_MIN_SEEN = 3


class RatedTable:
    """Wording that human raters scored low, learned from whole-translation scores rather than
    error spans: many systems' translations of real support chats (WMT24), per target language.
    Output word n-grams and source words (marked "S:") each carry p(the translation was in the
    worst-rated quarter of its language pair | it contains this); a translation's evidence is the sum of their log-odds
    against the baseline, both ways (wording raters liked counts in its favour)."""

    def __init__(self, patterns: dict[str, Pattern], baseline: float) -> None:
        self.patterns = patterns
        self.baseline = min(max(baseline, 1e-3), 1 - 1e-3)
        self._floor = _logit(self.baseline)

    def p_low(self, pattern: Pattern) -> float:
        return (pattern.bad + self.baseline * RATED_PRIOR) / (pattern.seen + RATED_PRIOR)

    @staticmethod
    def keys(source: str, translation: str) -> set[str]:
        return ngrams(tokens(translation)) | {SOURCE_MARK + w for w in tokens(source)}

    def evidence(self, source: str, translation: str) -> tuple[float, list[Hit]]:
        """The summed log-odds, and the output n-grams that counted against it (worst first)."""
        total, against = 0.0, []
        for key in self.keys(source, translation):
            pattern = self.patterns.get(key)
            if pattern is None:
                continue
            weight = _logit(self.p_low(pattern)) - self._floor
            total += weight
            if weight > 0 and not key.startswith(SOURCE_MARK):
                against.append((weight, Hit(key, pattern)))
        return total, [h for _, h in sorted(against, key=lambda wh: (-wh[0], wh[1].ngram))]

    @classmethod
    def learn(
        cls,
        items: Iterable[tuple[str, str, bool]],
        keep_target: frozenset[str] | None = None,
        keep_source: frozenset[str] | None = None,
    ) -> RatedTable:
        """From (source, translation, rated low) triples; word lists keep names out as in PatternTable."""
        low: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        n_low = n = 0
        for source, translation, is_low in items:
            n += 1
            n_low += is_low
            for key in cls.keys(source, translation):
                keep = keep_source if key.startswith(SOURCE_MARK) else keep_target
                words = key.removeprefix(SOURCE_MARK).split(" ")
                if keep is not None and not all(_keepable(w, keep) for w in words):
                    continue
                seen[key] += 1
                low[key] += is_low
        patterns = {k: Pattern(low[k], c) for k, c in seen.items() if c >= RATED_MIN_SEEN}
        return cls(patterns, n_low / n if n else 0.5)

    def dump(self, path: Path) -> None:
        rows = sorted(self.patterns.items(), key=lambda kv: (-self.p_low(kv[1]), kv[0]))
        lines = [f"# baseline\t{self.baseline:.6f}", "ngram\tlow\tseen"] + [f"{g}\t{p.bad}\t{p.seen}" for g, p in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> RatedTable:
        patterns: dict[str, Pattern] = {}
        with path.open(encoding="utf-8") as f:
            baseline = float(next(f).rstrip("\n").split("\t")[1])
            next(f)
            for line in f:
                gram, low, seen = line.rstrip("\n").split("\t")
                patterns[gram] = Pattern(int(low), int(seen))
        return cls(patterns, baseline)


@cache
def rated_table_for(lang: str) -> RatedTable | None:
    """The shipped rated-wording table for a target language, or None."""
    path = TABLES / f"rated-{lang}.tsv"
    return RatedTable.read(path) if path.is_file() else None


def describe_rated(hits: Sequence[Hit], limit: int = 3) -> str:
    shown = ", ".join(repr(h.ngram) for h in hits[:limit])
    return f"wording that raters often scored low in support chats: {shown}" if shown else ""
