"""Tone: how often machine translations break a brand's register, before and after check_tone.

Spanish: the sentences of Bitext customer-support agent replies (the `response` column) that
address the customer ("you", "your", …) are translated en→es with Apertium ({{slots}} protected
with glossary.protect), then checked against a formal and an informal profile with the Apertium
morphology. A sentence *breaks* a profile when check_tone finds any issue in it; *after* counts
the issues check_tone still finds in its own fixed text. A second, independent count looks only
for the unambiguous informal words (tú, te, ti, contigo, tu(s), vuestro…, os, vosotros) with no
morphology at all.

French, Italian, Portuguese: no English→French engine here, so the raw Spanish outputs go on
through Apertium es→fr, es→it and es→pt, and those are checked the same way.

German (no engine, no morphology): a hand-written set of support sentences labelled informal,
formal or neutral (third-person traps: "sie hat ihr Paket") measures detection precision and
recall for each profile, and checks every applied fix against a hand-written target sentence.

    python bench/tone.py --quick     # 300 replies (1,606 sentences), ~25 s on 2 cores
    python bench/tone.py             # 2,000 replies (10,857 sentences), ~2.5 min

The last line of output is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glossary.protect import protect, restore  # noqa: E402
from glossary.segment import split  # noqa: E402
from glossary.tone import Morphology, Register, check_tone  # noqa: E402
from models.apertium import ApertiumEngine  # noqa: E402
from models.base import LanguagePair  # noqa: E402
from models.config import EngineSpec  # noqa: E402
from models.morphology import ApertiumMorphology  # noqa: E402

DATA = (
    ROOT.parent / "shared" / "data" / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)
_YOU = re.compile(r"\byou(?:r|rs|rself|'ll|'re|'ve|'d)?\b", re.IGNORECASE)
_ES_INFORMAL_WORDS = re.compile(
    r"(?<!\w)(?:tú|te|ti|contigo|tus?|tuy[oa]s?|vuestr[oa]s?|os|vosotr[oa]s)(?!\w)", re.IGNORECASE
)

# German support sentences: (label, sentence, the formal version of an informal sentence).
GERMAN: list[tuple[str, str, str]] = [
    (
        "informal",
        "Du kannst deine Bestellung jederzeit in deinem Konto verfolgen.",
        "Sie können Ihre Bestellung jederzeit in Ihrem Konto verfolgen.",
    ),
    (
        "informal",
        "Wir haben dir eine E-Mail mit dem Link geschickt.",
        "Wir haben Ihnen eine E-Mail mit dem Link geschickt.",
    ),
    ("informal", "Bitte melde dich mit deiner neuen Adresse an.", "Bitte melden Sie sich mit Ihrer neuen Adresse an."),
    ("informal", "Hast du die Rechnung schon erhalten?", "Haben Sie die Rechnung schon erhalten?"),
    ("informal", "Dein Paket ist unterwegs und kommt morgen an.", "Ihr Paket ist unterwegs und kommt morgen an."),
    ("informal", "Falls du Fragen hast, schreib uns einfach.", "Falls Sie Fragen haben, schreiben Sie uns einfach."),
    (
        "informal",
        "Wir erstatten dir den Betrag innerhalb von fünf Tagen.",
        "Wir erstatten Ihnen den Betrag innerhalb von fünf Tagen.",
    ),
    ("informal", "Kannst du uns deine Bestellnummer schicken?", "Können Sie uns Ihre Bestellnummer schicken?"),
    ("informal", "Danke für deine Geduld!", "Danke für Ihre Geduld!"),
    ("informal", "Ich helfe dir gern bei der Rücksendung.", "Ich helfe Ihnen gern bei der Rücksendung."),
    ("informal", "Eure Bestellung wurde storniert.", "Ihre Bestellung wurde storniert."),
    (
        "informal",
        "Wir melden uns bei euch, sobald die Ware da ist.",
        "Wir melden uns bei Ihnen, sobald die Ware da ist.",
    ),
    ("informal", "Deine Zahlung ist eingegangen.", "Ihre Zahlung ist eingegangen."),
    ("informal", "Du erhältst eine Bestätigung per E-Mail.", "Sie erhalten eine Bestätigung per E-Mail."),
    ("informal", "Schau bitte in deinem Spam-Ordner nach.", "Schauen Sie bitte in Ihrem Spam-Ordner nach."),
    ("informal", "Klick einfach auf den Link in der E-Mail.", "Klicken Sie einfach auf den Link in der E-Mail."),
    ("informal", "Leider konnten wir deine Karte nicht belasten.", "Leider konnten wir Ihre Karte nicht belasten."),
    (
        "informal",
        "Gib uns kurz Bescheid, ob alles geklappt hat.",
        "Geben Sie uns kurz Bescheid, ob alles geklappt hat.",
    ),
    ("informal", "Die Lieferung an deine Adresse dauert zwei Tage.", "Die Lieferung an Ihre Adresse dauert zwei Tage."),
    ("informal", "Hier ist der Link zu deinem Kundenkonto.", "Hier ist der Link zu Ihrem Kundenkonto."),
    ("formal", "Sie können Ihre Bestellung jederzeit in Ihrem Konto verfolgen.", ""),
    ("formal", "Wir haben Ihnen eine E-Mail mit dem Link geschickt.", ""),
    ("formal", "Bitte melden Sie sich mit Ihrer neuen Adresse an.", ""),
    ("formal", "Haben Sie die Rechnung schon erhalten?", ""),
    ("formal", "Ihr Paket ist unterwegs und kommt morgen an.", ""),
    ("formal", "Falls Sie Fragen haben, schreiben Sie uns einfach.", ""),
    ("formal", "Wir erstatten Ihnen den Betrag innerhalb von fünf Tagen.", ""),
    ("formal", "Können Sie uns Ihre Bestellnummer schicken?", ""),
    ("formal", "Danke für Ihre Geduld!", ""),
    ("formal", "Ich helfe Ihnen gern bei der Rücksendung.", ""),
    ("formal", "Ihre Zahlung ist eingegangen.", ""),
    ("formal", "Sie erhalten eine Bestätigung per E-Mail.", ""),
    ("formal", "Schauen Sie bitte in Ihrem Spam-Ordner nach.", ""),
    ("formal", "Klicken Sie einfach auf den Link in der E-Mail.", ""),
    ("formal", "Leider konnten wir Ihre Karte nicht belasten.", ""),
    ("formal", "Geben Sie uns kurz Bescheid, ob alles geklappt hat.", ""),
    ("formal", "Die Lieferung an Ihre Adresse dauert zwei Tage.", ""),
    ("formal", "Hier ist der Link zu Ihrem Kundenkonto.", ""),
    ("neutral", "Die Bestellung wurde heute versandt.", ""),
    ("neutral", "Sie hat ihr Paket gestern erhalten.", ""),
    ("neutral", "Unsere Kundin sagt, sie habe ihre Rechnung nicht bekommen.", ""),
    ("neutral", "Die Kunden haben ihr Geld zurückbekommen.", ""),
    ("neutral", "Die Techniker sagen, sie kommen morgen.", ""),
    ("neutral", "Vielen Dank für die Nachricht.", ""),
    ("neutral", "Der Artikel ist leider ausverkauft.", ""),
    ("neutral", "Das Team meldet sich innerhalb von 24 Stunden.", ""),
    ("neutral", "Die Rückerstattung dauert drei bis fünf Werktage.", ""),
    ("neutral", "Die Firma hat ihre Preise geändert.", ""),
    ("neutral", "Wir prüfen den Fall und melden uns.", ""),
    ("neutral", "Laut der Kundin war ihr Paket beschädigt.", ""),
]


def sentences(quick: bool, n: int) -> list[str]:
    """Sentences of agent replies that address the customer."""
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = [r["response"] for r in csv.DictReader(f) if r["response"].strip()]
    # A fixed random sample: the file is sorted by intent, so its first rows are all alike.
    picked = random.Random(0).sample(rows, n if quick else min(len(rows), 2000))
    return [s for reply in picked for s in split(reply, "en").sentences if _YOU.search(s)]


def translate(engine: ApertiumEngine, texts: Sequence[str], pair: LanguagePair, workers: int) -> list[str]:
    masked = [protect(t) for t in texts]
    batches = [list(range(i, min(i + 64, len(texts)))) for i in range(0, len(texts), 64)]

    def run(batch: list[int]) -> list[str]:
        return [h.text for h in engine.translate([masked[i].text for i in batch], pair)]

    with ThreadPoolExecutor(workers) as pool:
        outs = [t for part in pool.map(run, batches) for t in part]
    return [restore(out, m).text for out, m in zip(outs, masked, strict=True)]


def profile_shares(texts: Sequence[str], lang: str, register: Register, morph: Morphology | None) -> dict:
    """Share of texts with any issue before, and after check_tone's own fixes."""
    results = [check_tone(t, lang, register, morph) for t in texts]
    after = [check_tone(r.text, lang, register, morph) for r in results]
    kinds: Counter[str] = Counter()
    for r in results:
        for i in r.issues:
            kinds[("fixed: " if i.fixed else "reported: ") + _kind(i.detail)] += 1
    n = max(len(texts), 1)
    return {
        "break_before": sum(bool(r.issues) for r in results) / n,
        "break_after": sum(bool(a.issues) for a in after) / n,
        "fully_fixed": sum(bool(r.issues) and not r.unfixed for r in results) / n,
        "issues": sum(len(r.issues) for r in results),
        "fixed": sum(i.fixed for r in results for i in r.issues),
        "kinds": dict(kinds.most_common(12)),
        "results": results,
    }


_OPENER = re.compile(r"(?:^|[.!?:\n¡¿]\s*)(\w+)")


def possible_commands(texts: Sequence[str], morph: ApertiumMorphology) -> tuple[float, Counter[str]]:
    """Share of texts with a sentence that opens with a form that may be a tú command.

    "Envía", "Explora", "Va" are also 3rd-person statements ("he sends"), so check_tone leaves them
    alone; this counts them, to show what "break after" cannot see.
    """
    openers = [[m.group(1).lower() for m in _OPENER.finditer(t)] for t in texts]
    words = sorted({w for ws in openers for w in ws})
    readings = dict(zip(words, morph.analyse(words), strict=True))

    def command(w: str) -> bool:
        rs = readings.get(w, [])
        # Only words that are surely lexical verbs: not "para" (also a preposition), not "puede".
        verbs = all(r.split("<")[1].startswith("vblex>") for r in rs if "<" in r)
        return verbs and any("<imp><p2>" in r for r in rs) and not all("<p2>" in r for r in rs)

    found: Counter[str] = Counter(w for ws in openers for w in ws if command(w))
    return sum(any(command(w) for w in ws) for ws in openers) / max(len(texts), 1), found


def _kind(detail: str) -> str:
    return re.sub(r"'[^']*'", "'…'", detail.split(":")[0])


def german(register: Register) -> dict:
    """Sentence-level detection precision and recall on the hand-written German set."""
    target = "informal" if register == "formal" else "formal"
    tp = fp = fn = 0
    wrong_fixes: list[str] = []
    fixes = 0
    for label, text, gold in GERMAN:
        r = check_tone(text, "de", register)
        flagged = bool(r.issues)
        tp += flagged and label == target
        fp += flagged and label != target
        fn += not flagged and label == target
        for issue in r.issues:
            if issue.fixed and issue.replacement:
                fixes += 1
                if register == "formal" and issue.replacement not in gold.split():
                    wrong_fixes.append(f"{text} -> {r.text}")
    return {
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(tp + fn, 1),
        "flagged": tp + fp,
        "positives": tp + fn,
        "fixes": fixes,
        "wrong_fixes": wrong_fixes,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="300 replies instead of 2,000")
    ap.add_argument("--replies", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--show", type=int, default=0, help="print this many Spanish before/after examples")
    args = ap.parse_args()

    t0 = time.perf_counter()
    english = sentences(args.quick, args.replies)
    engine = ApertiumEngine.from_spec(
        EngineSpec(name="apertium", kind="apertium", pairs=("en-es", "es-fr", "es-it", "es-pt"))
    )
    spanish = translate(engine, english, LanguagePair("en", "es"), args.workers)
    others = {lang: translate(engine, spanish, LanguagePair("es", lang), args.workers) for lang in ("fr", "it", "pt")}
    t_mt = time.perf_counter() - t0
    engine.close()

    figures: dict[str, float | int] = {"sentences": len(english)}
    morphs = {lang: ApertiumMorphology(lang) for lang in ("es", "fr", "it", "pt")}
    t1 = time.perf_counter()
    es_formal = profile_shares(spanish, "es", "formal", morphs["es"])
    t_check = time.perf_counter() - t1
    es_informal = profile_shares(spanish, "es", "informal", morphs["es"])
    es_nomorph = profile_shares(spanish, "es", "formal", None)
    lexical_before = sum(bool(_ES_INFORMAL_WORDS.search(t)) for t in spanish) / len(spanish)
    lexical_after = sum(bool(_ES_INFORMAL_WORDS.search(r.text)) for r in es_formal["results"]) / len(spanish)
    commands_after, command_words = possible_commands([r.text for r in es_formal["results"]], morphs["es"])

    print(f"{len(english)} English sentences addressing the customer; MT {t_mt:.1f} s")
    print(f"check_tone es formal with morphology: {len(spanish) / t_check:.0f} sentences/s")
    rows = [
        ("es", "formal", es_formal),
        ("es", "formal, no morphology", es_nomorph),
        ("es", "informal", es_informal),
    ]
    for lang in ("fr", "it", "pt"):
        for register in ("formal", "informal"):
            shares = profile_shares(others[lang], lang, register, morphs[lang])  # type: ignore[arg-type]
            rows.append((lang, register, shares))
            key = f"{lang}_{register}"
            figures[f"{key}_break_before"] = round(shares["break_before"], 4)
            figures[f"{key}_break_after"] = round(shares["break_after"], 4)
    print(f"\n{'lang':<5}{'profile':<24}{'break before':>13}{'break after':>12}{'fully fixed':>12}{'fixes':>7}")
    for lang, register, s in rows:
        print(
            f"{lang:<5}{register:<24}{s['break_before']:>12.1%} {s['break_after']:>11.1%} "
            f"{s['fully_fixed']:>11.1%} {s['fixed']:>6}"
        )
    print(
        f"\nes formal, independent word count (tú te ti contigo tu(s) vuestro… os vosotros): "
        f"{lexical_before:.1%} → {lexical_after:.1%}"
    )
    top = ", ".join(f"{w} {n}" for w, n in command_words.most_common(8))
    print(f"es formal, after: sentences opening with a possible tú command (not judged): {commands_after:.1%} ({top})")
    for lang, register, s in rows:
        print(f"\n{lang} {register}: most frequent issues")
        for kind, count in s["kinds"].items():
            print(f"  {count:>5}  {kind}")

    de = {register: german(register) for register in ("formal", "informal")}  # type: ignore[misc]
    print("\nGerman hand-written set (20 informal, 18 formal, 12 neutral sentences):")
    for register, d in de.items():
        print(
            f"  {register} profile: precision {d['precision']:.2f}, recall {d['recall']:.2f} "
            f"({d['flagged']} flagged, {d['positives']} should be), {d['fixes']} fixes, "
            f"{len(d['wrong_fixes'])} not in the target sentence"
        )
        for w in d["wrong_fixes"]:
            print("    wrong fix:", w)

    for k in range(args.show):
        r = es_formal["results"][k]
        if r.issues:
            print(f"\nEN  {english[k]}\nES  {spanish[k]}\nFIX {r.text}")
            for i in r.issues:
                print(f"    {'fixed' if i.fixed else 'REPORTED'}: {i.text!r} → {i.replacement!r}  ({i.detail})")

    for m in morphs.values():
        m.close()
    figures.update(
        {
            "es_formal_break_before": round(es_formal["break_before"], 4),
            "es_formal_break_after": round(es_formal["break_after"], 4),
            "es_formal_fully_fixed": round(es_formal["fully_fixed"], 4),
            "es_formal_break_after_no_morphology": round(es_nomorph["break_after"], 4),
            "es_formal_informal_words_before": round(lexical_before, 4),
            "es_formal_informal_words_after": round(lexical_after, 4),
            "es_formal_possible_commands_after": round(commands_after, 4),
            "es_informal_break_before": round(es_informal["break_before"], 4),
            "es_informal_break_after": round(es_informal["break_after"], 4),
            "de_formal_detect_precision": round(de["formal"]["precision"], 3),
            "de_formal_detect_recall": round(de["formal"]["recall"], 3),
            "de_informal_detect_precision": round(de["informal"]["precision"], 3),
            "de_informal_detect_recall": round(de["informal"]["recall"], 3),
            "de_formal_wrong_fixes": len(de["formal"]["wrong_fixes"]),
            "check_sentences_per_s": round(len(spanish) / t_check),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
