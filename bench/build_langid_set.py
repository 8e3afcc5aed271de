"""Rebuild bench/data/langid/{dev,test}.tsv from the gettext catalogs of four Debian packages.

The texts are the human translations shipped in VLC, Pidgin, gedit and Evince (GPL-2+); English
comes from the same catalogs' source strings. Needs a Debian 12 host with apt sources (apt-get
download fetches the .deb files without installing anything) or `--debs DIR` holding them.

    python bench/build_langid_set.py            # writes bench/data/langid/{dev,test}.tsv
"""

from __future__ import annotations

import argparse
import gettext
import itertools
import random
import subprocess
import sys
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import regex

# Pinned so the set is reproducible; apt-get download fails loudly if a version is gone.
PACKAGES = {
    "vlc-l10n": "3.0.24-0+deb12u1",
    "pidgin-data": "2.14.12-1",
    "gedit-common": "44.2-1",
    "evince-common": "43.1-2+deb12u1",
}
# gettext locale directory -> ISO 639-1 label; pt and zh merge the variants noted.
LOCALES = {
    "ar": "ar",
    "bg": "bg",
    "ca": "ca",
    "cs": "cs",
    "da": "da",
    "de": "de",
    "el": "el",
    "es": "es",
    "fa": "fa",
    "fi": "fi",
    "fr": "fr",
    "he": "he",
    "hi": "hi",
    "hu": "hu",
    "id": "id",
    "it": "it",
    "ja": "ja",
    "ko": "ko",
    "nb": "nb",
    "nl": "nl",
    "pl": "pl",
    "pt_BR": "pt",
    "pt": "pt",
    "ro": "ro",
    "ru": "ru",
    "sk": "sk",
    "sv": "sv",
    "th": "th",
    "tr": "tr",
    "uk": "uk",
    "vi": "vi",
    "zh_CN": "zh",
}
# Scripts written without spaces: words and pairs come from translations of 1- and 2-word sources.
UNSPACED = {"ja", "zh", "th"}
KINDS = ("word", "pair", "sentence")
PER_KIND = {"dev": 100, "test": 300}
OUT = Path(__file__).resolve().parent / "data" / "langid"

_PRINTF = regex.compile(r"%(\d+\$)?[-+ #0']*(\d+|\*)?(\.\d+)?(hh|h|ll|l|L|q|j|z|t|I64)?[a-zA-Z%]|%\d|%\([a-z_]+\)[sd]")
_BRACES = regex.compile(r"\$?\{[^}]*\}")
_MNEMONIC = regex.compile(r"\s*[(（][_&]\p{L}[)）]|[_&](?=\p{L})")
_NOISE = regex.compile(r"[<>\\|=@/#*\[\]~^`]|https?:|www\.|\d")
# What a removed placeholder leaves behind: empty quotes or brackets, stray commas.
_HOLE = regex.compile(r"([\"'“„«‘]\s*[\"'”»’])|\(\s*\)|\s+(?=[,.;:!?、。，])|(?<=[,，])\s*[,，]")
_TOKEN_EDGE = regex.compile(r"^[\p{P}\p{S}]+|[\p{P}\p{S}]+$")
_WORD = regex.compile(r"^\p{L}[\p{L}\p{M}'’-]*$")
_SPACE_OR_PUNCT = regex.compile(r"[\s\p{P}\p{S}]")
_LATIN = regex.compile(r"\p{Latin}")
LATIN_SCRIPT = {
    "ca",
    "cs",
    "da",
    "de",
    "en",
    "es",
    "fi",
    "fr",
    "hu",
    "id",
    "it",
    "nb",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sv",
    "tr",
    "vi",
}


def plain_word(token: str, lang: str) -> bool:
    """A word item: letters only, no acronym, no Latin product name inside another script."""
    if not _WORD.match(token) or (token.isupper() and len(token) > 1):
        return False
    return lang in LATIN_SCRIPT or not _LATIN.search(token)


def clean(text: str) -> str | None:
    """Strip accelerators, placeholders and trailing ellipses; None if markup or noise remains."""
    if "\n" in text or "<" in text or "&amp;" in text:
        return None
    text = _HOLE.sub("", _HOLE.sub("", _MNEMONIC.sub("", _BRACES.sub("", _PRINTF.sub("", text)))))
    text = regex.sub(r"\s+", " ", text).strip(" ;:,.").rstrip("：…").strip()
    if not text or _NOISE.search(text) or not regex.search(r"\p{L}", text):
        return None
    return text


def tokens(text: str) -> list[str]:
    return [t for t in (_TOKEN_EDGE.sub("", raw) for raw in text.split()) if t]


def catalog(path: Path) -> Iterator[tuple[str, str]]:
    """(msgid, msgstr) pairs of a .mo file: singular, translated, context stripped."""
    with path.open("rb") as fh:
        entries = gettext.GNUTranslations(fh)._catalog  # the parsed table; no public accessor
    for key, value in entries.items():
        if isinstance(key, str) and key and value and key != value:
            yield key.split("\x04", 1)[-1], value


def download(workdir: Path) -> Path:
    for name, version in PACKAGES.items():
        subprocess.run(["apt-get", "download", f"{name}={version}"], cwd=workdir, check=True)
    return workdir


def extract(debs: Path, root: Path) -> None:
    for name in PACKAGES:
        deb = next(debs.glob(f"{name}_*.deb"))
        (root / name).mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root / name)], check=True)


def split_of(msgid: str) -> str:
    """A stable split by source string, so one sentence's words never land in both splits."""
    return "dev" if zlib.crc32(msgid.encode()) % 4 == 0 else "test"


def items_from(lang: str, msgid: str, msgstr: str) -> Iterator[tuple[str, str]]:
    """(kind, text) candidates cut from one translated entry."""
    text = clean(msgstr)
    if text is None:
        return
    source = {t.casefold() for t in tokens(msgid)}
    n_source = len(msgid.split())
    if lang in UNSPACED:
        # No word segmenter offline: the translation of a 1- or 2-word source stands for a word or pair.
        bare = not _SPACE_OR_PUNCT.search(text)
        scale = 2 if lang == "th" else 1  # Thai spells a word in about twice as many characters
        latin = bool(_LATIN.search(text))
        if n_source == 1 and bare and not latin and len(text) <= 6 * scale:
            yield "word", text
        elif n_source == 2 and not latin and len(text) <= 10 * scale:
            yield "pair", text
        elif 3 <= n_source <= 12 and len(text) <= 40:
            yield "sentence", text
        return
    toks = tokens(text)
    for w in toks:
        if len(w) >= 2 and plain_word(w, lang) and w.casefold() not in source:
            yield "word", w
    for a, b in itertools.pairwise(toks):
        if plain_word(a, lang) and plain_word(b, lang) and not (a.casefold() in source and b.casefold() in source):
            yield "pair", f"{a} {b}"
    copied = sum(t.casefold() in source for t in toks)
    if 3 <= len(toks) <= 12 and copied * 2 < len(toks):
        yield "sentence", text


def english_items(msgid: str) -> Iterator[tuple[str, str]]:
    text = clean(msgid)
    if text is None:
        return
    toks = tokens(text)
    for w in toks:
        if len(w) >= 2 and plain_word(w, "en"):
            yield "word", w
    for a, b in itertools.pairwise(toks):
        if plain_word(a, "en") and plain_word(b, "en"):
            yield "pair", f"{a} {b}"
    if 3 <= len(toks) <= 12:
        yield "sentence", text


def collect(root: Path) -> dict[tuple[str, str, str], set[str]]:
    """{(split, lang, kind): texts} over every catalog of every package."""
    pool: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for mo in sorted(root.glob("*/usr/share/locale/*/LC_MESSAGES/*.mo")):
        lang = LOCALES.get(mo.parts[-3])
        if lang is None:
            continue
        for msgid, msgstr in catalog(mo):
            split = split_of(msgid)
            for kind, text in items_from(lang, msgid, msgstr):
                pool[split, lang, kind].add(text)
            for kind, text in english_items(msgid):
                pool[split, "en", kind].add(text)
    return pool


def sample(pool: dict[tuple[str, str, str], set[str]]) -> dict[str, list[tuple[str, str, str]]]:
    """Drop texts labelled with two languages or present in both splits; draw a fixed number each."""
    labels: dict[str, set[str]] = defaultdict(set)
    for (_, lang, _), texts in pool.items():
        for t in texts:
            labels[t.casefold()].add(lang)
    dev_texts = {t for (split, _, _), texts in pool.items() if split == "dev" for t in texts}
    rng = random.Random(20240601)
    out: dict[str, list[tuple[str, str, str]]] = {"dev": [], "test": []}
    langs = sorted({lang for (_, lang, _) in pool})
    for split in ("dev", "test"):
        for lang in langs:
            for kind in KINDS:
                texts = sorted(
                    t
                    for t in pool.get((split, lang, kind), ())
                    if len(labels[t.casefold()]) == 1 and (split == "dev" or t not in dev_texts)
                )
                picked = rng.sample(texts, min(PER_KIND[split], len(texts)))
                if len(picked) < PER_KIND[split]:
                    print(f"warning: {split} {lang} {kind}: only {len(picked)}", file=sys.stderr)
                out[split].extend((lang, kind, t) for t in sorted(picked))
    return out


def write(rows: dict[str, list[tuple[str, str, str]]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for split, items in rows.items():
        with (out / f"{split}.tsv").open("w", encoding="utf-8", newline="\n") as fh:
            fh.write("lang\tkind\ttext\n")
            fh.writelines(f"{lang}\t{kind}\t{text}\n" for lang, kind, text in items)
        print(f"{out / f'{split}.tsv'}: {len(items)} items")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debs", type=Path, help="folder that already holds the .deb files")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        debs = args.debs or download(Path(tmp))
        extract(debs, Path(tmp) / "root")
        write(sample(collect(Path(tmp) / "root")), args.out)


if __name__ == "__main__":
    main()
