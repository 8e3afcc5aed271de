"""Apertium: rule-based MT from Debian packages, run as long-lived pipelines (one per pair).

A fresh `apertium` process per message costs 130–280 ms; a running pipeline costs 1–4 ms per
segment. We start each stage of the pair's `.mode` file with `-z` (null flush) as Apertium's own
server (APY) does and talk to it with the protocol in models/nullflush.py.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import re
import shlex
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models.base import PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, Hypothesis, LanguagePair
from models.config import EngineSpec
from models.engine import BaseEngine
from models.errors import ConfigError, EngineFailure, UnknownLanguage
from models.langcodes import normalize
from models.nullflush import exchange

log = logging.getLogger(__name__)

_MODE_NAME = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")  # variants such as spa-eng_US are skipped
# Characters with a meaning in Apertium's stream format; escaped with a backslash.
_STREAM_SPECIAL = set("\\[]^$/<>{}")
# The output marks words with * (unknown), @ (not in the bilingual dictionary) and # (generation
# failed), but the pipeline drops the escape of a literal * # @ ~ in the input, so those are sent
# inside superblanks (which Apertium copies verbatim) and any bare mark in the output is a mark.
_SUPERBLANK_CHARS = set("*#@~") | {PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE}
_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_OPEN) + r"\d+" + re.escape(PLACEHOLDER_CLOSE))
_MARKS = {"*": "unknown_words", "@": "untranslated_words", "#": "generation_errors"}
_WORD = re.compile(r"\w+")


def installed_modes(modes_dir: Path) -> dict[LanguagePair, Path]:
    """Map each language pair to the plain mode file that serves it (dialect variants are skipped)."""
    modes: dict[LanguagePair, Path] = {}
    for path in sorted(modes_dir.glob("*.mode")):
        m = _MODE_NAME.match(path.stem)
        if not m:
            continue
        try:
            pair = LanguagePair(normalize(m.group(1)), normalize(m.group(2)))
        except UnknownLanguage:
            continue
        modes.setdefault(pair, path)
    return modes


def mode_commands(mode_file: Path) -> list[list[str]]:
    """Split a `.mode` shell pipeline into argv lists, each stage in null-flush mode."""
    text = mode_file.read_text(encoding="utf-8").strip()
    if not text:
        raise ConfigError(f"Apertium mode file {mode_file} is empty")
    commands = []
    for stage in text.split("|"):
        # $1 is the generator's mark option: -g keeps the * @ # marks we turn into a score.
        argv = shlex.split(stage.replace("$2", "").replace("$1", "-g"))
        if not argv:
            raise ConfigError(f"Apertium mode file {mode_file} has an empty stage")
        # CG and HFST tokenisers flush on NUL without being told (and reject -z).
        if not re.match(r"^([^ ]*/)?(vislcg3|cg-mwesplit|hfst-tokeni[sz]e)", argv[0]):
            argv.insert(1, "-z")
        commands.append(argv)
    return commands


def encode_segment(text: str) -> str:
    """Turn plain text (with ⟦n⟧ placeholders) into Apertium stream format."""
    out: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        out.append(_encode_plain(text[pos : m.start()]))
        out.append(f"[{m.group(0)}]")  # superblank: copied verbatim, never translated
        pos = m.end()
    out.append(_encode_plain(text[pos:]))
    # A closing blank makes the last stages release sentence-final punctuation ("Pay." lost its
    # full stop without it); an empty superblank adds no text.
    out.append("[]")
    return "".join(out)


def _encode_plain(text: str) -> str:
    parts = []
    for ch in text:
        if ch == "\0":
            ch = " "  # NUL is the flush marker
        if ch in _SUPERBLANK_CHARS:
            parts.append(f"[{ch}]")
        elif ch in _STREAM_SPECIAL:
            parts.append("\\" + ch)
        else:
            parts.append(ch)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    marks: dict[str, int]
    words: int


def tidy_spacing(source: str, output: str) -> str:
    """Undo spacing Apertium invents: a dropped pronoun leaves its blank behind ("?  Pagué")."""
    if "  " not in source:
        output = re.sub(r"(?<=\S) {2,}(?=\S)", " ", output)
    lead = len(source) - len(source.lstrip())
    trail = len(source) - len(source.rstrip())
    return source[:lead] + output.strip() + (source[len(source) - trail :] if trail else "")


def decode_segment(stream: str) -> Decoded:
    """Turn pipeline output back into plain text, counting and removing the unknown-word marks."""
    out: list[str] = []
    marks = {name: 0 for name in _MARKS.values()}
    i, n = 0, len(stream)
    while i < n:
        ch = stream[i]
        if ch == "\\" and i + 1 < n:
            out.append(stream[i + 1])
            i += 2
        elif ch == "[":
            end = i + 1
            blank: list[str] = []
            while end < n and stream[end] != "]":
                if stream[end] == "\\" and end + 1 < n:
                    end += 1
                blank.append(stream[end])
                end += 1
            out.append("".join(blank))
            i = end + 1
        elif ch in _MARKS and i + 1 < n and stream[i + 1].isalnum():
            marks[_MARKS[ch]] += 1
            i += 1
        else:
            out.append(ch)
            i += 1
    text = "".join(out)
    return Decoded(text=text, marks=marks, words=len(_WORD.findall(_PLACEHOLDER.sub(" ", text))))


class _Chain:
    """Running processes piped one into the next, spoken to with the null-flush protocol."""

    def __init__(self, commands: list[list[str]], timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.procs: list[subprocess.Popen[bytes]] = []
        try:
            for argv in commands:
                stdin = self.procs[-1].stdout if self.procs else subprocess.PIPE
                self.procs.append(
                    subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                )
                if len(self.procs) > 1 and self.procs[-2].stdout is not None:
                    self.procs[-2].stdout.close()  # only the next stage holds it now
        except OSError as exc:
            self.close()
            raise ConfigError(f"cannot start Apertium stage {argv[0]!r}: {exc}; is the package installed?") from exc

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def run(self, encoded: Sequence[str]) -> list[str]:
        stdin, stdout = self.procs[0].stdin, self.procs[-1].stdout
        assert stdin is not None and stdout is not None
        return exchange(stdin, stdout, encoded, self.timeout_s, "Apertium")

    def close(self) -> None:
        for p in self.procs:
            if p.stdin:
                p.stdin.close()
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("apertium stage %s did not exit", p.args)
            if p.stdout:
                p.stdout.close()


def split_tagger(commands: list[list[str]]) -> tuple[list[list[str]], list[str], list[list[str]]] | None:
    """(stages before, the HMM tagger, stages after), or None when the mode has no apertium-tagger."""
    for i, argv in enumerate(commands):
        if re.match(r"^([^ ]*/)?apertium-tagger$", argv[0]) and i > 0:
            return commands[:i], argv, commands[i + 1 :]
    return None


# What a new tagger tags first, off the request path: a sentence end, a class every model knows.
_WARM_UP = "^./.<sent>$[]"


class _Taggers:
    """`apertium-tagger` processes that are thrown away once they have met an unknown ambiguity class.

    Apertium 3.8's HMM tagger is not stateless: an ambiguity class it was not trained on ("a lot
    of" = adj / det.qnt) changes how it tags words it meets later, for the rest of the process's
    life ("I will be in touch shprtly" comes out "tocar" instead of "tacto" once it has seen "a
    lot of"). A long-lived tagger therefore made a text's translation depend on every text
    translated before it — on batch composition, and on whether the translation cache was on.

    So the tagger runs apart from the rest of the chain, one segment per exchange, with `-d`: it
    reports each unknown class on stderr as it meets it, and a tagger that reported one is
    retired after that segment. Every segment is thus tagged by a process that has seen only
    what it was trained on, which tags exactly as a fresh one. Replacements are started ahead in
    a background thread, so retiring one costs no wait."""

    def __init__(self, argv: list[str], timeout_s: float, ahead: int = 3) -> None:
        self.argv = [argv[0], "-d", *argv[1:]] if "-d" not in argv else argv
        self.timeout_s = timeout_s
        self.retired = 0
        self._current: subprocess.Popen[bytes] | None = None
        self._ready: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue(maxsize=max(1, ahead))
        self._closed = threading.Event()
        self._spawner = threading.Thread(target=self._spawn, name="apertium-tagger-spawner", daemon=True)
        self._spawner.start()

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise ConfigError(
                f"cannot start Apertium stage {self.argv[0]!r}: {exc}; is the package installed?"
            ) from exc
        assert proc.stderr is not None
        os.set_blocking(proc.stderr.fileno(), False)
        return proc

    def _spawn(self) -> None:
        while not self._closed.is_set():
            try:
                item: subprocess.Popen[bytes] | BaseException = self._warm(self._start())
            except BaseException as exc:  # handed to the caller, who raises it
                item = exc
            while not self._closed.is_set():
                try:
                    self._ready.put(item, timeout=0.5)
                    break
                except queue.Full:
                    continue
            else:
                if isinstance(item, subprocess.Popen):
                    _stop(item)

    def _warm(self, proc: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """One full stop through a new tagger: its model is loaded before a request waits on it."""
        assert proc.stdin is not None and proc.stdout is not None
        try:
            exchange(proc.stdin, proc.stdout, [_WARM_UP], self.timeout_s, "apertium-tagger")
        except BaseException:
            _stop(proc)
            raise
        return proc

    def _take(self) -> subprocess.Popen[bytes]:
        if self._current is None or self._current.poll() is not None:
            if self._current is not None:
                _stop(self._current)
            try:
                item = self._ready.get(timeout=self.timeout_s)
            except queue.Empty:
                raise EngineFailure(f"no apertium-tagger started within {self.timeout_s:.0f} s") from None
            if isinstance(item, BaseException):
                raise item
            self._current = item
        return self._current

    def tag(self, analysed: Sequence[str]) -> list[str]:
        out = []
        for text in analysed:
            proc = self._take()
            assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
            try:
                [tagged] = exchange(proc.stdin, proc.stdout, [text], self.timeout_s, "apertium-tagger")
            except EngineFailure:
                self._retire()
                raise
            out.append(tagged)
            try:
                warned = os.read(proc.stderr.fileno(), 1 << 16)
            except BlockingIOError:
                warned = b""
            if warned:  # it met a class it was not trained on: its later answers may differ
                self._retire()
        return out

    def _retire(self) -> None:
        proc, self._current = self._current, None
        if proc is not None:
            self.retired += 1
            _stop(proc)

    def close(self) -> None:
        self._closed.set()
        self._retire()
        self._spawner.join(timeout=5)
        while True:
            try:
                item = self._ready.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, subprocess.Popen):
                _stop(item)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            f.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait()


class _Pipeline:
    """One running translation chain for one mode; not thread-safe (the pool lends it).

    Where the mode has an HMM tagger, the chain is cut around it: the stages before and after run
    long-lived, the tagger apart (see _Taggers), so a segment's
    translation never depends on what the pipeline translated before."""

    def __init__(self, commands: list[list[str]], timeout_s: float) -> None:
        parts = split_tagger(commands)
        self.head = _Chain(parts[0] if parts else commands, timeout_s)
        self.taggers: _Taggers | None = None
        self.tail: _Chain | None = None
        if parts:
            try:
                self.taggers = _Taggers(parts[1], timeout_s)
                self.tail = _Chain(parts[2], timeout_s) if parts[2] else None
            except BaseException:
                self.close()
                raise

    @property
    def procs(self) -> list[subprocess.Popen[bytes]]:
        """The long-lived stages, in order (the tagger's processes come and go)."""
        return self.head.procs + (self.tail.procs if self.tail else [])

    def alive(self) -> bool:
        return self.head.alive() and (self.tail is None or self.tail.alive())

    def run(self, segments: Sequence[str]) -> list[str]:
        out = self.head.run([encode_segment(s) for s in segments])
        if self.taggers is not None:
            out = self.taggers.tag(out)
            if self.tail is not None:
                out = self.tail.run(out)
        return out

    def close(self) -> None:
        self.head.close()
        if self.taggers is not None:
            self.taggers.close()
        if self.tail is not None:
            self.tail.close()


class _PipelinePool:
    """A fixed set of running pipelines for one mode, lent to one caller at a time."""

    def __init__(self, mode_file: Path, size: int, timeout_s: float) -> None:
        self.mode_file = mode_file
        self.commands = mode_commands(mode_file)
        self.timeout_s = timeout_s
        self.restarts = 0
        self._idle: queue.LifoQueue[_Pipeline] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(_Pipeline(self.commands, timeout_s))

    def run(self, segments: Sequence[str]) -> list[str]:
        pipe = self._idle.get()
        try:
            for attempt in (1, 2):
                if not pipe.alive():
                    pipe = self._restart(pipe, "it had exited")
                try:
                    return pipe.run(segments)
                except EngineFailure as exc:
                    # A stuck or dead stage leaves unread output behind: never reuse that pipeline.
                    pipe = self._restart(pipe, str(exc))
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            self._idle.put(pipe)

    def _restart(self, pipe: _Pipeline, why: str) -> _Pipeline:
        log.warning("restarting Apertium pipeline %s: %s", self.mode_file.stem, why)
        self.restarts += 1
        pipe.close()
        return _Pipeline(self.commands, self.timeout_s)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class ApertiumEngine(BaseEngine):
    kind = "apertium"

    def __init__(self, spec: EngineSpec, modes: dict[LanguagePair, Path]) -> None:
        super().__init__(spec, frozenset(modes))
        self._modes = modes
        self._pools: dict[LanguagePair, _PipelinePool] = {}
        self._pools_lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> ApertiumEngine:
        modes_dir = Path(spec.modes_dir)
        available = installed_modes(modes_dir) if modes_dir.is_dir() else {}
        if not available:
            raise ConfigError(
                f"engine {spec.name}: no Apertium modes in {modes_dir}; install apertium and pair "
                "packages (e.g. apt-get install apertium apertium-eng-spa) or set modes_dir"
            )
        if spec.pairs == ("auto",):
            return cls(spec, available)
        chosen: dict[LanguagePair, Path] = {}
        for raw in spec.pairs:
            try:
                pair = LanguagePair.parse(raw)
                pair = LanguagePair(normalize(pair.source), normalize(pair.target))
            except (ValueError, UnknownLanguage) as exc:
                raise ConfigError(f"engine {spec.name}: pairs: {exc}") from None
            if pair not in available:
                have = ", ".join(sorted(map(str, available)))
                raise ConfigError(f"engine {spec.name}: no Apertium mode for {pair} in {modes_dir}; installed: {have}")
            chosen[pair] = available[pair]
        return cls(spec, chosen)

    def _version_files(self) -> list[Path]:
        # The mode files and the dictionaries and rules they name ('/usr/share/apertium/…bin'):
        # a package upgrade replaces them.
        files = set(self._modes.values())
        for mode in self._modes.values():
            try:
                text = mode.read_text(encoding="utf-8")
            except OSError:
                continue
            files.update(Path(m) for m in re.findall(r"'(/[^']+)'", text) if Path(m).is_file())
        return sorted(files)

    def start(self, pairs: Sequence[LanguagePair] | None = None) -> None:
        """Start the pipelines now rather than on the first request."""
        for pair in pairs or sorted(self.pairs, key=str):
            self._pool(pair)

    def _pool(self, pair: LanguagePair) -> _PipelinePool:
        with self._pools_lock:
            pool = self._pools.get(pair)
            if pool is None:
                pool = _PipelinePool(self._modes[pair], self.spec.processes, self.spec.timeout_s)
                self._pools[pair] = pool
            return pool

    @property
    def restarts(self) -> int:
        return sum(p.restarts for p in self._pools.values())

    def _translate_batch(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        hyps = []
        for source, raw in zip(segments, self._pool(pair).run(segments), strict=True):
            d = decode_segment(raw)
            d = Decoded(tidy_spacing(source, d.text), d.marks, d.words)
            unknown = sum(d.marks.values())
            share = unknown / d.words if d.words else 0.0
            # Map the unknown-word share onto the log-probability scale the neural engines use.
            score = math.log(max(1e-3, 1.0 - min(share, 1.0)))
            hyps.append(Hypothesis(text=d.text, score=score, details={**d.marks, "words": d.words}))
        return hyps

    def close(self) -> None:
        with self._pools_lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()
