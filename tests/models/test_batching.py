"""Dynamic batching (models/batching.py): shared model calls, own results, bounded queues, no deadlocks.

A gated engine (it blocks until the test opens the gate) makes the batching deterministic: while
its first call is held, the test queues more requests and then checks which call they travelled
in. Real Apertium and a real CTranslate2 model check that batching changes no translation.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from models.base import Hypothesis, LanguagePair
from models.batching import Batcher, BatchSettings, settings_for
from models.config import EngineSpec
from models.errors import EngineBusy, EngineFailure, UnsupportedPair
from models.registry import EngineRegistry

EN_ES = LanguagePair("en", "es")
ES_EN = LanguagePair("es", "en")
WAIT = 30  # seconds: only a safety net against a hang, never a timing assertion


class GatedEngine:
    """Records every call; each call waits for the gate; a segment "boom" makes its call fail."""

    kind = "fake"

    def __init__(self, name: str = "gated", pairs: Sequence[LanguagePair] = (EN_ES, ES_EN)) -> None:
        self.name = name
        self.pairs = frozenset(pairs)
        self.calls: list[tuple[LanguagePair, list[str]]] = []
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.closed = False

    def translate(self, segments: Sequence[str], pair: LanguagePair) -> list[Hypothesis]:
        self.calls.append((pair, list(segments)))
        self.entered.release()
        assert self.gate.wait(WAIT), "the test never opened the gate"
        if "boom" in segments:
            raise EngineFailure("boom")
        return [Hypothesis(f"{pair.target}:{s}", -0.1) for s in segments]

    def score(self, sources, targets, pair) -> list[float]:
        return [-0.5] * len(sources)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def gated() -> Iterator[tuple[GatedEngine, Batcher]]:
    engine = GatedEngine()
    batcher = Batcher(engine, BatchSettings(wait_ms=0, max_pending=50))
    yield engine, batcher
    engine.gate.set()
    batcher.close()


def hold_first_call(engine: GatedEngine, batcher: Batcher, pair: LanguagePair = EN_ES):
    """Start one request and wait until the engine is busy with it (the gate still closed)."""
    first = batcher.submit(["first"], pair)
    assert engine.entered.acquire(timeout=WAIT)
    return first


def test_requests_queued_while_the_engine_is_busy_share_one_call_and_get_their_own_results(gated) -> None:
    engine, batcher = gated
    first = hold_first_call(engine, batcher)
    futures = [batcher.submit([f"a{i}", f"b{i}"], EN_ES) for i in range(10)]
    engine.gate.set()
    assert first.result(WAIT)[0].text == "es:first"
    for i, f in enumerate(futures):
        assert [h.text for h in f.result(WAIT)] == [f"es:a{i}", f"es:b{i}"]
    assert len(engine.calls) == 2  # the held call, then all ten requests together
    assert engine.calls[1][1] == [s for i in range(10) for s in (f"a{i}", f"b{i}")]
    assert batcher.stats.batches == 2 and batcher.stats.requests == 11 and batcher.pending == 0


def test_each_batch_holds_one_pair(gated) -> None:
    engine, batcher = gated
    first = hold_first_call(engine, batcher)
    en = [batcher.submit([f"en{i}"], EN_ES) for i in range(3)]
    es = [batcher.submit([f"es{i}"], ES_EN) for i in range(3)]
    engine.gate.set()
    assert [f.result(WAIT)[0].text for f in en] == ["es:en0", "es:en1", "es:en2"]
    assert [f.result(WAIT)[0].text for f in es] == ["en:es0", "en:es1", "en:es2"]
    first.result(WAIT)
    assert [(str(p), s) for p, s in engine.calls[1:]] == [
        ("en-es", ["en0", "en1", "en2"]),
        ("es-en", ["es0", "es1", "es2"]),
    ]


def test_a_failure_reaches_only_the_callers_of_the_failed_batch(gated) -> None:
    engine, batcher = gated
    first = hold_first_call(engine, batcher)
    doomed = [batcher.submit(["boom"], EN_ES), batcher.submit(["fine"], EN_ES)]
    other = batcher.submit(["hola"], ES_EN)
    engine.gate.set()
    first.result(WAIT)
    for f in doomed:  # same pair, same batch as "boom"
        with pytest.raises(EngineFailure, match="boom"):
            f.result(WAIT)
    assert other.result(WAIT)[0].text == "en:hola"
    # The batcher keeps working after a failed batch.
    assert batcher.translate(["again"], EN_ES)[0].text == "es:again"


def test_a_full_queue_refuses_at_once_with_a_retry_hint(gated) -> None:
    engine, batcher = gated
    first = hold_first_call(engine, batcher)
    queued = batcher.submit([f"s{i}" for i in range(50)], EN_ES)  # exactly the bound
    with pytest.raises(EngineBusy) as info:
        batcher.submit(["one more"], EN_ES)
    assert info.value.retry_after_s >= 1 and info.value.pending == 50
    assert batcher.stats.rejected == 1
    engine.gate.set()
    first.result(WAIT)
    assert len(queued.result(WAIT)) == 50
    # Drained: taken again.
    assert batcher.translate(["later"], EN_ES)[0].text == "es:later"


def test_a_request_larger_than_the_bound_is_served_when_the_queue_is_empty() -> None:
    engine = GatedEngine()
    engine.gate.set()
    batcher = Batcher(engine, BatchSettings(wait_ms=0, max_pending=2))
    try:
        assert len(batcher.translate(["a", "b", "c", "d"], EN_ES)) == 4
    finally:
        batcher.close()


def test_a_full_token_budget_goes_out_without_waiting_for_the_maximum_wait() -> None:
    engine = GatedEngine()
    engine.gate.set()
    # The wait would hold a lone request for 10 minutes; a full budget must not wait for it.
    batcher = Batcher(engine, BatchSettings(wait_ms=600_000, budget_tokens=8))
    try:
        futures = [batcher.submit([f"word{i} word"], EN_ES) for i in range(3)]  # 3 tokens each
        assert [f.result(WAIT)[0].text for f in futures[:2]] == ["es:word0 word", "es:word1 word"]
        assert engine.calls[0][1] == ["word0 word", "word1 word"]  # 6 tokens; a third would pass 8
    finally:
        batcher.close()  # fails the request still waiting for company
    with pytest.raises(EngineFailure, match="shutting down"):
        futures[2].result(WAIT)


def test_close_fails_queued_callers_stops_the_thread_and_closes_the_engine(gated) -> None:
    engine, batcher = gated
    first = hold_first_call(engine, batcher)
    queued = batcher.submit(["waiting"], EN_ES)
    closer = threading.Thread(target=batcher.close)
    closer.start()
    with pytest.raises(EngineFailure, match="shutting down"):
        queued.result(WAIT)
    engine.gate.set()  # the running batch still finishes for its caller
    assert first.result(WAIT)[0].text == "es:first"
    closer.join(WAIT)
    assert not closer.is_alive() and engine.closed
    with pytest.raises(EngineFailure, match="shut down"):
        batcher.submit(["too late"], EN_ES)


def test_unsupported_pairs_and_empty_requests_never_reach_the_queue(gated) -> None:
    engine, batcher = gated
    with pytest.raises(UnsupportedPair):
        batcher.submit(["x"], LanguagePair("de", "en"))
    assert batcher.translate([], EN_ES) == []
    assert batcher.score(["a"], ["b"], EN_ES) == [-0.5]
    assert engine.calls == []


def test_a_slow_engine_never_blocks_another() -> None:
    slow, fast = GatedEngine("slow", [EN_ES]), GatedEngine("fast", [ES_EN])
    fast.gate.set()
    registry = EngineRegistry([slow, fast])
    try:
        with ThreadPoolExecutor(2) as pool:
            stuck = pool.submit(registry.translate, ["stuck"], "en", "es")
            assert slow.entered.acquire(timeout=WAIT)
            hyps, route = registry.translate(["hola"], "es", "en")  # answered while "slow" is held
            assert hyps[0].text == "en:hola" and route.label == "fast:es-en"
            assert not stuck.done()
            slow.gate.set()
            assert stuck.result(WAIT)[0][0].text == "es:stuck"
    finally:
        slow.gate.set()
        registry.close()
    assert slow.closed and fast.closed


def test_engine_kinds_get_their_own_defaults() -> None:
    neural = settings_for(EngineSpec(name="n", kind="ctranslate2", model="x", max_batch_tokens=2048))
    assert (neural.wait_ms, neural.budget_tokens, neural.workers, neural.pair_workers) == (5.0, 2048, 1, 1)
    apertium = settings_for(EngineSpec(name="a", kind="apertium", processes=2))
    assert apertium.wait_ms == 0 and apertium.workers > 1 and apertium.pair_workers == 2
    custom = settings_for(
        EngineSpec(name="c", kind="ctranslate2", model="x", batch_wait_ms=2, batch_tokens=512, max_pending=10)
    )
    assert (custom.wait_ms, custom.budget_tokens, custom.max_pending) == (2, 512, 10)


# --- real engines -------------------------------------------------------------------------------

SENTENCES = [
    "Where is my order?",
    "I paid with my card yesterday.",
    "Please send me the invoice.",
    "My parcel is late.",
    "Can I change the delivery address?",
    "Thank you very much for your help.",
]


@pytest.fixture(scope="module")
def apertium_registry() -> Iterator[EngineRegistry]:
    registry = EngineRegistry.from_specs([EngineSpec(name="apertium", kind="apertium")])
    yield registry
    registry.close()


def test_concurrent_pivots_and_round_trips_through_apertium_match_one_at_a_time(apertium_registry) -> None:
    """fr→en pivots through es; 48 callers at once in both directions, each gets its own answer."""
    jobs = [(s, "en", "fr") for s in SENTENCES] + [(s, "en", "es") for s in SENTENCES]
    alone = {}
    for text, src, tgt in jobs:
        [hyp], _ = apertium_registry.translate([text], src, tgt)
        [back], _ = apertium_registry.translate([hyp.text], tgt, src)
        alone[(text, src, tgt)] = (hyp.text, back.text)

    def round_trip(job: tuple[str, str, str]) -> tuple[str, str]:
        text, src, tgt = job
        [hyp], _ = apertium_registry.translate([text], src, tgt)
        [back], _ = apertium_registry.translate([hyp.text], tgt, src)
        return hyp.text, back.text

    batcher = apertium_registry.batchers["apertium"]
    calls_before = batcher.stats.batches
    with ThreadPoolExecutor(16) as pool:
        together = list(pool.map(round_trip, jobs * 4))
    assert together == [alone[j] for j in jobs * 4]
    assert batcher.stats.requests >= batcher.stats.batches and batcher.pending == 0
    assert batcher.stats.batches > calls_before


def test_apertium_version_names_its_installed_files(apertium_registry) -> None:
    engine = apertium_registry.engines[0]
    assert engine.version == apertium_registry.batchers["apertium"].version
    files = engine._version_files()
    assert any(p.suffix == ".mode" for p in files) and any(p.suffix == ".bin" for p in files)


@pytest.fixture(scope="module")
def ct2_model(converted, marian_dir: Path) -> Path:
    return converted(marian_dir)


def test_ct2_through_the_batcher_gives_each_caller_what_it_gets_alone(ct2_model: Path) -> None:
    # Few output tokens (random weights rarely stop) and one thread, as in the other engine tests.
    spec = EngineSpec(
        name="ct2", kind="ctranslate2", model=str(ct2_model), device="cpu", beam_size=2, max_length=12, threads=1
    )
    registry = EngineRegistry.from_specs([spec])
    try:
        alone = [registry.translate([s], "en", "es")[0][0].text for s in SENTENCES]
        with ThreadPoolExecutor(12) as pool:
            together = list(pool.map(lambda s: registry.translate([s], "en", "es")[0][0].text, SENTENCES * 4))
        assert together == alone * 4
        stats = registry.batchers["ct2"].stats
        assert stats.segments == len(SENTENCES) * 5
    finally:
        registry.close()


def test_a_neural_engine_version_changes_when_its_model_folder_does(ct2_model: Path, tmp_path: Path) -> None:
    from models.ct2 import CTranslate2Engine

    copy = Path(shutil.copytree(ct2_model, tmp_path / "model"))
    spec = EngineSpec(name="ct2", kind="ctranslate2", model=str(copy), device="cpu", threads=1)
    first = CTranslate2Engine.from_spec(spec)
    again = CTranslate2Engine.from_spec(spec)
    assert first.version == again.version
    os.utime(copy / "model.bin", ns=(1, 1))  # the weights were replaced
    replaced = CTranslate2Engine.from_spec(spec)
    other_beam = CTranslate2Engine.from_spec(spec.model_copy(update={"beam_size": 1}))
    assert len({first.version, replaced.version, other_beam.version}) == 3
    for engine in (first, again, replaced, other_beam):
        engine.close()


def test_an_idle_batcher_that_never_waits_runs_the_call_in_the_callers_thread(gated) -> None:
    engine, batcher = gated
    engine.gate.set()
    threads: list[int] = []
    original = engine.translate

    def recording(segments, pair):
        threads.append(threading.get_ident())
        return original(segments, pair)

    engine.translate = recording  # type: ignore[method-assign]
    assert [h.text for h in batcher.translate(["uno", "dos"], EN_ES)] == ["es:uno", "es:dos"]
    assert threads == [threading.get_ident()]
    assert batcher.stats.requests == 1 and batcher.stats.batches == 1 and batcher.stats.segments == 2
    with pytest.raises(EngineFailure, match="boom"):  # its own exception, in its own thread
        batcher.translate(["boom"], EN_ES)


def test_the_fast_path_keeps_the_worker_limit_and_queues_behind_a_running_call() -> None:
    engine = GatedEngine()
    batcher = Batcher(engine, BatchSettings(wait_ms=0, workers=1, pair_workers=1))
    try:
        with ThreadPoolExecutor(4) as pool:
            first = pool.submit(batcher.translate, ["first"], EN_ES)  # inline: the only slot
            assert engine.entered.acquire(timeout=WAIT)
            later = [pool.submit(batcher.translate, [f"q{i}"], EN_ES) for i in range(3)]
            while batcher.pending < 3:  # the slot is taken: they queue for one shared call
                assert not first.done()
                threading.Event().wait(0.01)
            assert len(engine.calls) == 1
            engine.gate.set()
            assert first.result(WAIT)[0].text == "es:first"
            assert [f.result(WAIT)[0].text for f in later] == ["es:q0", "es:q1", "es:q2"]
        assert [c[1] for c in engine.calls] == [["first"], ["q0", "q1", "q2"]]
    finally:
        engine.gate.set()
        batcher.close()
    assert engine.closed
