"""Glossary terms and forbidden words in inflected forms: five brand glossaries on support replies.

The glossaries (bench/data/inflection_glossaries.json, written by hand: dictionary-form terms, as
admins write them, and forbidden words Apertium really produces) are applied by the gateway's
pipeline (Apertium en→es, formal register) to agent replies from the Bitext customer-support set:
the `response` column of every 7th row, split into sentences of 5–30 words without {{slots}};
each brand gets the first 80 sentences that hold one of its terms in a listed form, or whose plain
translation holds one of its forbidden words.

Measured, per term occurrence in the source (a listed English form, whole word):
- found: the entry is in the translation's term report (the matcher saw it);
- correct: a noun's target in the listed form (plural for a plural) is in the output; a verb's
  target is there in some form, and not the bare infinitive unless `to`, a modal or (before a gerund)
  a preposition comes before it;
and per forbidden word: outputs where the judge finds it in the plain translation, and after the brand.
English words are often both noun and verb ("changes", "pay"): Apertium's own HMM tagger judges each
occurrence's part of speech; `pos_*` count the occurrences it reads as the term's part of speech,
`other_pos` the rest and `other_pos_matched` those the gateway matched all the same (false matches).
Last, up to 200 replies that start "We <lower-case word>" are rewritten to start "SwiftShip …" with
SwiftShip a `dnt` entry: `capital_after_dnt` counts outputs where the word after it is capitalised.

`--code DIR` runs another checkout's gateway (the same data and judges), to compare before/after:

    git worktree add /tmp/before <commit> && python bench/inflection.py --code /tmp/before
    python bench/inflection.py
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from pathlib import Path

import regex

HERE = Path(__file__).resolve().parent
BITEXT = HERE.parent.parent / "shared" / "data" / "bitext-customer-support"
GLOSSARIES = HERE / "data" / "inflection_glossaries.json"
PER_BRAND = 80
# Where Spanish wants the infinitive: after to / a modal, and a gerund after a preposition ("in changing").
_INFINITIVE_AFTER = regex.compile(
    r"\b(?:to|can|could|should|must|may|might|will|would|cannot|please|let|in|with|for|of|by|about|without|"
    r"before|after|on|at|from)\s+(?:\w+\s+)?$",
    regex.I,
)


def load_pool() -> list[str]:
    import sentencex

    path = BITEXT / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    seen: set[str] = set()
    pool: list[str] = []
    for row in rows[::7]:
        for line in row["response"].splitlines():
            for b in sentencex.get_sentence_boundaries("en", line):
                s = b["text"].strip()
                if 5 <= len(s.split()) <= 30 and "{{" not in s and s not in seen:
                    seen.add(s)
                    pool.append(s)
    return pool


def whole(word: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?<![\p{{L}}\p{{N}}]){regex.escape(word)}(?![\p{{L}}\p{{N}}])", regex.I)


def occurrences(sentence: str, term: dict) -> list[tuple[str, int]]:
    """The listed source forms in the sentence, with where each starts."""
    forms = term["forms"] if isinstance(term["forms"], list) else list(term["forms"])
    return [(m.group(0).lower(), m.start()) for f in forms for m in whole(f).finditer(sentence)]


def correct(output: str, sentence: str, term: dict, form: str, at: int) -> bool:
    if term["pos"] == "n":
        return bool(whole(term["forms"][form]).search(output))
    stem = regex.compile(rf"(?<![\p{{L}}]){regex.escape(term['stem'])}\p{{L}}*", regex.I)
    found = [m.group(0).lower() for m in stem.finditer(output)]
    if not found:
        return False
    after_modal = bool(_INFINITIVE_AFTER.search(sentence[:at]))
    return after_modal or any(f != term["infinitive"] for f in found)


def _matching_cost(texts: list[str], compiled, morphologies: dict, plain: dict[str, str]) -> dict[str, float]:
    """Microseconds per message to find terms (source) and forbidden words (output), without and with
    the morphology; the second pass over the same texts shows the warm analyser cache."""
    en, es = morphologies.get("en"), morphologies.get("es")

    def run(morph_src, morph_tgt) -> float:
        t0 = time.perf_counter()
        for text in texts:
            if morph_src is None:  # the plain calls, which a checkout without inflection also has
                compiled.source_matches(text, "en", "es")
                compiled.forbidden_matches(plain[text], "es")
            else:
                compiled.source_matches(text, "en", "es", morph_src, morph_tgt)
                compiled.forbidden_matches(plain[text], "es", morph_tgt)
        return (time.perf_counter() - t0) / len(texts) * 1e6

    if not hasattr(compiled, "_inflection"):  # a checkout without inflection: plain matching only
        return {"match_us_plain": round(run(None, None), 1)}
    surface = run(None, None)
    cold = run(en, es)
    warm = run(en, es)
    return {
        "match_us_plain": round(surface, 1),
        "match_us_inflect_cold": round(cold, 1),
        "match_us_inflect_warm": round(warm, 1),
    }


ENG_SPA = Path("/usr/share/apertium/apertium-eng-spa")


def tagged(sentences: list[str]) -> list[list[tuple[str, str]]]:
    """(surface, part of speech) of each word by Apertium's own HMM tagger (lt-proc | apertium-tagger):
    the judge of whether an occurrence of a listed form is the noun or the verb."""
    import subprocess

    special = set("\\[]^$/<>{}@*#~")
    escaped = ["".join("\\" + c if c in special else c for c in s.replace("\n", " ")) for s in sentences]
    text = "\n".join(escaped) + "\n"
    analysed = subprocess.run(
        ["lt-proc", "-w", str(ENG_SPA / "eng-spa.automorf.bin")], input=text, capture_output=True, text=True, check=True
    ).stdout
    out = subprocess.run(
        ["apertium-tagger", "-g", "-p", str(ENG_SPA / "eng-spa.prob")],
        input=analysed,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    units = regex.compile(r"\^([^/$]*)/[^<$]*<([^>]+)>")
    return [[(m.group(1).lower(), m.group(2)) for m in units.finditer(line)] for line in out[: len(sentences)]]


def pos_agrees(term: dict, tags: list[tuple[str, str]], form: str, nth: int) -> bool | None:
    """Whether the tagger reads the nth occurrence of `form` as the term's part of speech (None: not found)."""
    seen = [cat for surface, cat in tags if surface == form]
    if nth >= len(seen):
        return None
    return seen[nth] in ("n", "np") if term["pos"] == "n" else seen[nth] in ("vblex", "vbmod", "vaux")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--code", type=Path, default=HERE.parent, help="the checkout whose gateway runs (default: this one)"
    )
    ap.add_argument(
        "--quick", action="store_true", help="accepted for symmetry with the other benches; the run is small"
    )
    args = ap.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from gateway.brands import Brand
    from gateway.pipeline import Pipeline, TranslateJob
    from glossary.matcher import CompiledTermbase
    from glossary.terms import Termbase, make_term
    from models.config import EngineSpec
    from models.morphology import ApertiumMorphology, installed_morphologies
    from models.registry import EngineRegistry

    spec = json.loads(GLOSSARIES.read_text(encoding="utf-8"))["brands"]
    pool = load_pool()
    registry = EngineRegistry.from_specs([EngineSpec(name="apertium", kind="apertium", pairs=("en-es",))])
    morphologies = {lang: ApertiumMorphology(lang) for lang in installed_morphologies()}

    class Rules:
        def __init__(self, compiled) -> None:
            self._compiled = compiled

        async def compiled(self, brand: str):
            return self._compiled

    totals = {"occurrences": 0, "found": 0, "correct": 0, "forbidden_plain": 0, "forbidden_left": 0}
    for k in ("pos_occurrences", "pos_found", "pos_correct", "other_pos", "other_pos_matched"):
        totals[k] = 0
    totals["unlisted_matches"] = 0
    by_class = {"noun": [0, 0, 0], "verb": [0, 0, 0]}
    rows = []
    start = time.perf_counter()
    try:
        plain_hyps, _ = registry.translate(pool, "en", "es")
        plain = {s: h.text for s, h in zip(pool, plain_hyps, strict=True)}
        for name, brand in spec.items():
            judges = [regex.compile(f["judge"], regex.I) for f in brand["forbidden"]]
            chosen = [
                s
                for s in pool
                if any(occurrences(s, t) for t in brand["terms"]) or any(j.search(plain[s]) for j in judges)
            ][:PER_BRAND]
            entries = [
                make_term(
                    {
                        "kind": "term",
                        "source": t["source"],
                        "target": t["target"],
                        "source_lang": "en",
                        "target_lang": "es",
                    }
                )
                for t in brand["terms"]
            ] + [
                make_term({"kind": "forbidden", "source": f["source"], "target": f["target"], "target_lang": "es"})
                for f in brand["forbidden"]
            ]
            compiled = CompiledTermbase.compile(Termbase(name, 1, tuple(entries)))
            pipeline = Pipeline(
                registry, None, None, 0.6, rules=Rules(compiled), morphologies=morphologies, round_trip=False
            )  # type: ignore[arg-type]
            job = TranslateJob(tuple(chosen), "es", "en", brand=Brand(name=name, tone={"es": "formal"}))
            out = asyncio.run(pipeline.translate(job))
            b = {"brand": name, "sentences": len(chosen), "occurrences": 0, "found": 0, "correct": 0}
            for k in ("pos_occurrences", "pos_found", "pos_correct", "other_pos", "other_pos_matched"):
                b[k] = 0
            for sentence, t, tags in zip(chosen, out, tagged(chosen), strict=True):
                reported = {e["source"] for e in t.terms}
                listed = {term["source"] for term in brand["terms"] if occurrences(sentence, term)}
                # Reported where no listed form occurs: a false match, or a form the list lacks.
                totals["unlisted_matches"] += len(reported & {x["source"] for x in brand["terms"]} - listed)
                for term in brand["terms"]:
                    found_here = sorted(occurrences(sentence, term), key=lambda o: o[1])
                    agree = [
                        pos_agrees(term, tags, form, [f for f, _ in found_here[:n]].count(form))
                        for n, (form, _) in enumerate(found_here)
                    ]
                    for (form, at), same_pos in zip(found_here, agree, strict=True):
                        ok_found = term["source"] in reported
                        ok = correct(t.text, sentence, term, form, at)
                        b["occurrences"] += 1
                        b["found"] += ok_found
                        b["correct"] += ok
                        if same_pos is False:
                            # The tagger reads it as the other part of speech: matching it is a false match
                            # (unless the same term occurs in its own part of speech in this sentence).
                            b["other_pos"] += 1
                            b["other_pos_matched"] += ok_found and not any(agree)
                        else:
                            b["pos_occurrences"] += 1
                            b["pos_found"] += ok_found
                            b["pos_correct"] += ok
                        cls = by_class["noun" if term["pos"] == "n" else "verb"]
                        cls[0] += 1
                        cls[1] += ok_found
                        cls[2] += ok
                b.setdefault("forbidden_plain", 0)
                b.setdefault("forbidden_left", 0)
                b["forbidden_plain"] += any(j.search(plain[sentence]) for j in judges)
                b["forbidden_left"] += any(j.search(t.text) for j in judges)
            rows.append(b)
            for k in b:
                if k in totals:
                    totals[k] += b[k]
        secs = time.perf_counter() - start
        cost = _matching_cost(pool[:2000], compiled, morphologies, plain)
        # A kept name mid-sentence: "We will …" replies rewritten as "SwiftShip will …" (SwiftShip a dnt entry).
        named = [
            "SwiftShip " + s[3:] for s in pool if s.startswith("We ") and s[3:4].islower() and "SwiftShip" not in s
        ][:200]
        dnt = CompiledTermbase.compile(Termbase("swift", 1, (make_term({"kind": "dnt", "source": "SwiftShip"}),)))
        pipeline = Pipeline(registry, None, None, 0.6, rules=Rules(dnt), morphologies=morphologies, round_trip=False)  # type: ignore[arg-type]
        out = asyncio.run(pipeline.translate(TranslateJob(tuple(named), "es", "en", brand=Brand(name="swift"))))
        capital = regex.compile(r"SwiftShip\s+\p{Lu}\p{Ll}")
        capitals = sum(bool(capital.search(t.text)) for t in out)
    finally:
        registry.close()
        for m in morphologies.values():
            m.close()
    print(f"{'brand':8} {'sents':>5} {'terms':>5} {'found':>6} {'correct':>7} {'forbidden plain':>15} {'left':>5}")
    for b in rows:
        print(
            f"{b['brand']:8} {b['sentences']:5d} {b['occurrences']:5d} {b['found']:6d} {b['correct']:7d} "
            f"{b['forbidden_plain']:15d} {b['forbidden_left']:5d}"
        )
    n = totals["occurrences"] or 1
    print(
        json.dumps(
            {
                "code": str(args.code.resolve()),
                "brands": len(rows),
                "sentences": sum(b["sentences"] for b in rows),
                "term_occurrences": totals["occurrences"],
                "found_rate": round(totals["found"] / n, 4),
                "correct_rate": round(totals["correct"] / n, 4),
                "pos_occurrences": totals["pos_occurrences"],
                "pos_found_rate": round(totals["pos_found"] / (totals["pos_occurrences"] or 1), 4),
                "pos_correct_rate": round(totals["pos_correct"] / (totals["pos_occurrences"] or 1), 4),
                "other_pos": totals["other_pos"],
                "other_pos_matched": totals["other_pos_matched"],
                "noun_found_correct": [by_class["noun"][0], by_class["noun"][1], by_class["noun"][2]],
                "verb_found_correct": [by_class["verb"][0], by_class["verb"][1], by_class["verb"][2]],
                "forbidden_outputs_plain": totals["forbidden_plain"],
                "forbidden_outputs_left": totals["forbidden_left"],
                "unlisted_matches": totals["unlisted_matches"],
                "secs": round(secs, 1),
                "dnt_sentences": len(named),
                "capital_after_dnt": capitals,
                **cost,
            }
        )
    )


if __name__ == "__main__":
    main()
