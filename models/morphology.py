"""Apertium morphology: analyse words and regenerate changed readings with installed pair dictionaries.

The tone check (glossary/tone/) needs to turn "recibirás" into "recibirá": analyse the word
("recibir<vblex><fti><p2><sg>"), change the person, generate again; glossary/inflect.py finds
terms in any form ("orders" for "order") and puts a term or replacement in the form it replaces. Each language uses one
installed pair's analyser and the generator of the same monolingual dictionary, so tags agree.
Like the translation pipelines in models/apertium.py, each direction is one long-lived `lt-proc`
in null-flush mode (-z): a batch goes in as NUL-separated segments followed by a unique
superblank marker, and we read until the marker comes back. Processes start on first use.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from models.errors import ConfigError, EngineFailure
from models.nullflush import exchange

log = logging.getLogger(__name__)

APERTIUM_DATA = Path("/usr/share/apertium")

# language -> (analyser, generator) pairs relative to the Apertium data folder, best first.
MORPHOLOGY_FILES: dict[str, tuple[tuple[str, str], ...]] = {
    "es": (
        ("apertium-eng-spa/spa-eng.automorf.bin", "apertium-eng-spa/eng-spa.autogen.bin"),
        ("apertium-spa-ita/spa-ita.automorf.bin", "apertium-spa-ita/ita-spa.autogen.bin"),
        ("apertium-es-pt/es-pt.automorf.bin", "apertium-es-pt/pt-es.autogen.bin"),
        ("apertium-fr-es/es-fr.automorf.bin", "apertium-fr-es/fr-es.autogen.bin"),
    ),
    # English: for glossary terms in any form on the source side ("orders" for "order").
    "en": (
        ("apertium-eng-spa/eng-spa.automorf.bin", "apertium-eng-spa/spa-eng.autogen.bin"),
        ("apertium-eng-cat/eng-cat.automorf.bin", "apertium-eng-cat/cat-eng.autogen.bin"),
    ),
    "fr": (("apertium-fr-es/fr-es.automorf.bin", "apertium-fr-es/es-fr.autogen.bin"),),
    "it": (("apertium-spa-ita/ita-spa.automorf.bin", "apertium-spa-ita/spa-ita.autogen.bin"),),
    "pt": (("apertium-es-pt/pt-es.automorf.bin", "apertium-es-pt/es-pt.autogen.bin"),),
    "ca": (("apertium-eng-cat/cat-eng.automorf.bin", "apertium-eng-cat/eng-cat.autogen.bin"),),
}

_STREAM_SPECIAL = set("\\[]^$/<>{}@*#~")
_FORM_FORBIDDEN = set("\0^$[]\\")


def installed_morphologies(data_dir: Path = APERTIUM_DATA) -> dict[str, tuple[Path, Path]]:
    """Languages whose analyser and generator are both installed, with their files."""
    found: dict[str, tuple[Path, Path]] = {}
    for lang, candidates in MORPHOLOGY_FILES.items():
        for analyser, generator in candidates:
            a, g = data_dir / analyser, data_dir / generator
            if a.is_file() and g.is_file():
                found[lang] = (a, g)
                break
    return found


def _escape(word: str) -> str:
    return "".join(" " if c == "\0" else "\\" + c if c in _STREAM_SPECIAL else c for c in word)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if text[i] == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(text[i])
        i += 1
    parts.append("".join(cur))
    return parts


def parse_analysis(output: str) -> list[str]:
    """The readings in lt-proc's answer for one word; [] when unknown or split into several units."""
    out = output.strip()
    # One lexical unit, "^surface/reading1/reading2$", and nothing around it.
    if not (out.startswith("^") and out.endswith("$")) or out.count("^") != 1:
        return []
    fields = _split_unescaped(out[1:-1], "/")
    readings = [f for f in fields[1:] if f and not f.startswith("*")]
    return readings


class _LtProc:
    """One long-lived lt-proc in null-flush mode, lent to one caller at a time, restarted if it dies."""

    def __init__(self, argv: list[str], timeout_s: float) -> None:
        self.argv = argv
        self.timeout_s = timeout_s
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def run(self, segments: Sequence[str]) -> list[str]:
        with self._lock:
            for attempt in (1, 2):
                if self._proc is not None and self._proc.poll() is not None:
                    log.warning("restarting %s: it had exited", self.argv[-1])
                    self._stop()
                    self.restarts += 1
                if self._proc is None:
                    self._start()
                try:
                    return self._exchange(segments)
                except EngineFailure as exc:
                    # Unread output may be left behind: never reuse this process.
                    log.warning("restarting %s: %s", self.argv[-1], exc)
                    self._stop()
                    self.restarts += 1
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _start(self) -> None:
        try:
            self._proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            raise ConfigError(f"cannot start {self.argv[0]!r}: {exc}; install the apertium package") from exc

    def _exchange(self, segments: Sequence[str]) -> list[str]:
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        return exchange(proc.stdin, proc.stdout, segments, self.timeout_s, "lt-proc")

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.warning("%s did not exit", self.argv[0])
        if proc.stdout:
            proc.stdout.close()

    def close(self) -> None:
        with self._lock:
            self._stop()


class ApertiumMorphology:
    """Analysis and generation for one language (the `Morphology` that glossary.tone expects)."""

    def __init__(
        self,
        lang: str,
        data_dir: Path | str = APERTIUM_DATA,
        timeout_s: float = 10.0,
        cache_size: int = 50_000,
        lt_proc: str = "lt-proc",
    ) -> None:
        available = installed_morphologies(Path(data_dir))
        if lang not in available:
            have = ", ".join(sorted(available)) or "none"
            raise ConfigError(
                f"no Apertium morphology for {lang!r} in {data_dir}; installed: {have} "
                "(install a pair package such as apertium-eng-spa)"
            )
        self.lang = lang
        self.analyser_file, self.generator_file = available[lang]
        self._analyser = _LtProc([lt_proc, "-z", str(self.analyser_file)], timeout_s)
        self._generator = _LtProc([lt_proc, "-z", "-g", str(self.generator_file)], timeout_s)
        self._cache_size = cache_size
        self._cache: dict[str, list[str]] = {}
        self._generated: dict[str, str | None] = {}
        self._cache_lock = threading.Lock()

    @property
    def restarts(self) -> int:
        return self._analyser.restarts + self._generator.restarts

    def start(self) -> None:
        """Start both processes now rather than on the first call."""
        self.analyse(["a"])
        self.generate(["a<n>"])

    def analyse(self, words: Sequence[str]) -> list[list[str]]:
        """Every reading of each word in Apertium notation ("tener<vblex><pri><p2><sg>"); [] if unknown."""
        with self._cache_lock:
            known = {w: self._cache[w] for w in set(words) if w in self._cache}
        missing = sorted({w for w in words if w not in known and w.strip()})
        if missing:
            answers = self._analyser.run([_escape(w) for w in missing])
            fresh = {w: parse_analysis(a) for w, a in zip(missing, answers, strict=True)}
            known.update(fresh)
            with self._cache_lock:
                if len(self._cache) + len(fresh) > self._cache_size:
                    self._cache.clear()  # support text reuses few words; a rare reset is cheap
                self._cache.update(fresh)
        return [list(known.get(w, [])) for w in words]

    def generate(self, analyses: Sequence[str]) -> list[str | None]:
        """The surface form of each reading; None where the generator has none.

        Cached like analyses: a tone fix asks for the same few forms ("tener<vblex><pri><p3><sg>")
        in nearly every message, and each uncached call is a round trip through lt-proc."""
        with self._cache_lock:
            surface = {a: self._generated[a] for a in set(analyses) if a in self._generated}
        sendable = [a for a in dict.fromkeys(analyses) if a and a not in surface and not set(a) & _FORM_FORBIDDEN]
        if sendable:
            answers = self._generator.run([f"^{a}$" for a in sendable])
            fresh: dict[str, str | None] = {}
            for form, answer in zip(sendable, answers, strict=True):
                text = answer.strip()
                # "#" marks a reading the generator cannot produce; "~" one that needs post-generation.
                fresh[form] = text if text and not set(text) & set("#~") else None
            surface.update(fresh)
            with self._cache_lock:
                if len(self._generated) + len(fresh) > self._cache_size:
                    self._generated.clear()
                self._generated.update(fresh)
        return [surface.get(a) for a in analyses]

    def close(self) -> None:
        self._analyser.close()
        self._generator.close()

    def __enter__(self) -> ApertiumMorphology:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
