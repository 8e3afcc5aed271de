"""Language ID in context: a brand's languages as a weight, and the conversation as a fallback.

    python bench/langid_context.py --brands --split dev   # choose PREFER_WEIGHT (dev only)
    python bench/langid_context.py --brands               # report it on test
    python bench/langid_context.py --conversations        # real chats + built conversations

--brands: every text of the split is detected twice among all 32 languages, once for a brand
that serves its language and one other ("in brand"), once for a brand serving two others ("out
of brand": a French customer of an en/es brand), at several prefer weights.

--conversations: messages replayed in order through the detector and gateway/language.py's
decide(), the pipeline's own code, remembering each conversation's last reliable language:
  - chats.tsv: 4,591 customer turns of 305 real support chats (de, fr, ko, nl, pt; WMT24);
  - built: per language of test.tsv, 40 conversations of one sentence then six short turns
    (words, pairs and chat tokens such as "ok", "thx", "👍", "?"), labelled with the language.
Policies: the detector's best guess alone; + the conversation's language; + the customer's
locale; + the brand's languages. The agent reads English. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.language import DETECTOR, Context, decide
from models.langid import DEFAULT_LANGUAGES, PREFER_WEIGHT, build_detector
from models.langid.base import SHORT_WORDS
from models.langid.text import has_letters, strip_non_language, word_count

DATA = Path(__file__).resolve().parent / "data" / "langid"
SEED = 20261206
# Chat tokens that carry no language of their own: right when read as the conversation's.
CHAT_TOKENS = ("ok", "ok!", "OK", "thx", "ok thx", "👍", "?", "lol", "k", "hmm", "ty", "xD", ":)", "!!")
AGENT = "en"


@dataclass(frozen=True)
class Turn:
    conversation: str
    lang: str
    text: str
    kind: str  # "sentence" | "word" | "pair" | "token" | "chat"


def load_split(split: str) -> list[tuple[str, str, str]]:
    with (DATA / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
        return [(r["lang"], r["kind"], r["text"]) for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def brands(args: argparse.Namespace) -> dict:
    rows = load_split(args.split)
    if args.quick:
        rows = rows[::4]
    rng = random.Random(SEED)
    langs = sorted(DEFAULT_LANGUAGES)
    cases = []  # (text, true lang, kind, prefer, in brand)
    for lang, kind, text in rows:
        others = rng.sample([x for x in langs if x != lang], 3)
        cases.append((text, lang, kind, (lang, others[0]), True))
        cases.append((text, lang, kind, (others[1], others[2]), False))
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        groups[tuple(sorted(case[3]))].append(i)
    print(f"{len(rows)} texts of {args.split!r}, each in and out of a two-language brand\n")
    print("| prefer weight | in brand: word | pair | sentence | macro | out of brand: word | pair | sentence | macro |")
    print("|---|---|---|---|---|---|---|---|---|")
    out = {}
    for weight in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0):
        detector = build_detector("lingua", prefer_weight=weight)
        guesses: list[str | None] = [None] * len(cases)
        for prefer, idxs in groups.items():
            found = detector.detect([cases[i][0] for i in idxs], prefer=prefer)
            for i, d in zip(idxs, found, strict=True):
                guesses[i] = d.lang
        row = {}
        for in_brand in (True, False):
            hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
            for case, guess in zip(cases, guesses, strict=True):
                if case[4] == in_brand:
                    hits[case[2], case[1]].append(guess == case[1])
            per_kind = {
                k: statistics.mean(statistics.mean(v) for (kind, _), v in hits.items() if kind == k)
                for k in ("word", "pair", "sentence")
            }
            per_kind["macro"] = statistics.mean(per_kind.values())
            row["in" if in_brand else "out"] = {k: round(v, 4) for k, v in per_kind.items()}
        out[str(weight)] = row
        i, o = row["in"], row["out"]
        print(
            f"| {weight} | {i['word']:.3f} | {i['pair']:.3f} | {i['sentence']:.3f} | {i['macro']:.3f} "
            f"| {o['word']:.3f} | {o['pair']:.3f} | {o['sentence']:.3f} | {o['macro']:.3f} |"
        )
    chosen = out[str(PREFER_WEIGHT)] if str(PREFER_WEIGHT) in out else None
    return {"split": args.split, "prefer_weight": PREFER_WEIGHT, "chosen": chosen, "weights": out}


def chats() -> list[Turn]:
    with (DATA / "chats.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [Turn(r["conversation"], r["lang"], r["text"], "chat") for r in rows]


def built(per_language: int = 40) -> list[Turn]:
    rng = random.Random(SEED)
    by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for lang, kind, text in load_split("test"):
        by[lang, kind].append(text)
    turns = []
    for lang in sorted({lang for lang, _ in by}):
        for c in range(per_language):
            conv = f"{lang}-{c}"
            turns.append(Turn(conv, lang, rng.choice(by[lang, "sentence"]), "sentence"))
            for _ in range(6):
                kind = rng.choice(("word", "pair", "token"))
                text = rng.choice(CHAT_TOKENS) if kind == "token" else rng.choice(by[lang, kind])
                turns.append(Turn(conv, lang, text, kind))
    return turns


POLICIES = ("detector alone", "+ conversation", "+ conversation + locale", "+ conversation + brand")


def replay(turns: Sequence[Turn], detector, brand_languages: Sequence[str]) -> dict[str, dict]:
    """Each policy's decision for every turn with letters, replayed conversation by conversation."""
    texts = [t.text for t in turns]
    plain = detector.detect(texts)
    preferred = detector.detect(texts, prefer=brand_languages)
    results: dict[str, dict] = {}
    for policy in POLICIES:
        detections = preferred if "brand" in policy else plain
        memory: dict[str, str] = {}
        hits: dict[str, list[bool]] = defaultdict(list)
        short_hits: dict[str, list[bool]] = defaultdict(list)
        decided_by: Counter[str] = Counter()
        for turn, d in zip(turns, detections, strict=True):
            if not has_letters(strip_non_language(turn.text)):
                continue  # nothing to translate: every policy passes it through
            if policy == "detector alone":
                lang, by = d.lang, DETECTOR if d.reliable else "guess"
            else:
                context = Context(
                    conversation=memory.get(turn.conversation),
                    locale=turn.lang if "locale" in policy else None,
                    brand_languages=brand_languages if "brand" in policy else (),
                    agent=AGENT,
                )
                short = word_count(strip_non_language(turn.text)) <= SHORT_WORDS
                decision = decide(d, context, short=short)
                lang, by = decision.lang, decision.decided_by
                if by == DETECTOR:
                    memory[turn.conversation] = lang
            decided_by[by] += 1
            hits[turn.lang].append(lang == turn.lang)
            if word_count(strip_non_language(turn.text)) <= 2:
                short_hits[turn.lang].append(lang == turn.lang)
        total = sum(decided_by.values())
        results[policy] = {
            "macro": round(statistics.mean(statistics.mean(v) for v in hits.values()), 4),
            "short_macro": round(statistics.mean(statistics.mean(v) for v in short_hits.values()), 4),
            "messages": total,
            "short_messages": sum(len(v) for v in short_hits.values()),
            "decided_by": {k: round(v / total, 4) for k, v in decided_by.most_common()},
        }
    return results


def conversations(args: argparse.Namespace) -> dict:
    start = time.perf_counter()
    detector = build_detector("lingua")
    sets = {"real chats (chats.tsv)": (chats(), ("en", "de", "fr", "ko", "nl", "pt"))}
    made = built(10 if args.quick else 40)
    # A brand serving its customers' language and English, as in the gateway's defaults.
    sets["built, 32 languages"] = (made, ())
    out = {}
    for name, (turns, brand) in sets.items():
        by_lang: dict[str, list[Turn]] = defaultdict(list)
        for t in turns:
            by_lang[t.lang].append(t)
        if not brand:
            # Replay each language's conversations with a brand of that language and English.
            merged: dict[str, dict] = defaultdict(lambda: defaultdict(list))
            for lang, lang_turns in sorted(by_lang.items()):
                res = replay(lang_turns, detector, ("en", lang) if lang != "en" else ("en", "es"))
                for policy, r in res.items():
                    merged[policy]["macro"].append(r["macro"])
                    merged[policy]["short_macro"].append(r["short_macro"])
                    merged[policy]["messages"].append(r["messages"])
                    merged[policy]["short_messages"].append(r["short_messages"])
                    merged[policy]["decided_by"].append(r["decided_by"])
            res = {}
            for policy, m in merged.items():
                weights = Counter()
                for shares, n in zip(m["decided_by"], m["messages"], strict=True):
                    for k, v in shares.items():
                        weights[k] += v * n
                total = sum(m["messages"])
                res[policy] = {
                    "macro": round(statistics.mean(m["macro"]), 4),
                    "short_macro": round(statistics.mean(m["short_macro"]), 4),
                    "messages": total,
                    "short_messages": sum(m["short_messages"]),
                    "decided_by": {k: round(v / total, 4) for k, v in weights.most_common()},
                }
        else:
            res = replay(turns, detector, brand)
        out[name] = res
        convs = len({t.conversation for t in turns})
        print(f"\n{name}: {convs} conversations, {len(turns)} messages, {len(by_lang)} languages\n")
        print("| policy | macro accuracy | short messages (≤ 2 words) | decided by |\n|---|---|---|---|")
        for policy, r in res.items():
            shares = ", ".join(f"{k} {v:.1%}" for k, v in r["decided_by"].items())
            print(f"| {policy} | {r['macro']:.3f} | {r['short_macro']:.3f} ({r['short_messages']}) | {shares} |")
    print(f"\n{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return {
        "chats_macro": out["real chats (chats.tsv)"]["+ conversation"]["macro"],
        "chats_short_macro": out["real chats (chats.tsv)"]["+ conversation"]["short_macro"],
        "chats_alone_short_macro": out["real chats (chats.tsv)"]["detector alone"]["short_macro"],
        "built_short_macro": out["built, 32 languages"]["+ conversation"]["short_macro"],
        "built_alone_short_macro": out["built, 32 languages"]["detector alone"]["short_macro"],
        "sets": out,
        "quick": args.quick,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--brands", action="store_true", help="prefer-weight sweep, in and out of brand")
    mode.add_argument("--conversations", action="store_true", help="the conversation fallback, replayed")
    parser.add_argument("--split", default="test", choices=("test", "dev"))
    parser.add_argument("--quick", action="store_true", help="a quarter of the texts; 10 built conversations")
    args = parser.parse_args()
    print(json.dumps(brands(args) if args.brands else conversations(args)))


if __name__ == "__main__":
    main()
