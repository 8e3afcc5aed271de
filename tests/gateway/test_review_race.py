"""Editors racing for the same items: each is approved once, delivered once, and nothing is lost."""

from __future__ import annotations

import threading
import time
from collections import Counter

import anyio
import pytest

from tests.gateway.test_review import editor, new_brand, outbox_for, queue, receiver, wait_for

__all__ = ["receiver"]  # the callback-receiver fixture, shared with test_review.py

EDITORS = 16


def race(editors, item_ids: list[str]) -> list[tuple[str, str, int]]:
    """Every editor tries to claim and approve every item at once; returns (editor, item, status)."""
    start = threading.Barrier(len(editors))
    results: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        me = editors[n]
        start.wait()
        for rid in item_ids[n % len(item_ids) :] + item_ids[: n % len(item_ids)]:
            claimed = me.post(f"/v1/review/{rid}/claim").status_code
            # Losers try to approve anyway: the store, not the client's manners, must stop them.
            approved = me.post(f"/v1/review/{rid}/approve", json={"text": f"aprobado por {n}"}).status_code
            assert claimed in (200, 409) and approved in (200, 409), (claimed, approved)
            with lock:
                results.append((str(n), rid, approved))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(editors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_racing_editors_approve_and_deliver_each_item_once(gateway, admin, client, receiver) -> None:
    hook = receiver()
    brand = new_brand(admin)
    item_ids = [queue(client, brand, callback_url=hook.url)["review_id"] for _ in range(8)]
    editors = [editor(gateway, admin) for _ in range(EDITORS)]

    results = race(editors, item_ids)
    assert len(results) == EDITORS * len(item_ids)
    wins = Counter(rid for _, rid, status in results if status == 200)
    assert wins == Counter({rid: 1 for rid in item_ids})

    for rid in item_ids:
        item = admin.get(f"/v1/review/{rid}").json()
        assert item["status"] == "approved"
        winner = next(n for n, r, s in results if r == rid and s == 200)
        assert item["final_text"] == f"aprobado por {winner}"
        actions = [h["action"] for h in item["history"]]
        # One claim won and held (the lease is minutes long), then one approval: nothing else.
        assert actions == ["create", "claim", "approve"], actions
        [msg] = outbox_for(client, rid)
        assert msg["text"] == item["final_text"] and msg["id"] == item["delivery_id"]

    delivered = wait_for(lambda: len(hook.delivered()) >= len(item_ids) and hook.delivered(), timeout_s=20)
    time.sleep(1.0)  # a duplicate would arrive within the worker's next ticks
    delivered = hook.delivered()
    assert sorted(d["review_id"] for d in delivered) == sorted(item_ids)
    assert {d["review_id"]: d["text"] for d in delivered} == {
        rid: admin.get(f"/v1/review/{rid}").json()["final_text"] for rid in item_ids
    }


def test_approve_racing_the_send_mt_deadline_delivers_once(gateway, admin, client, receiver) -> None:
    """An editor approving just as the chat deadline sends the MT: one of them wins, never both."""
    hook = receiver()
    brand = new_brand(admin, chat={"below": 1.0, "deadline_s": 1, "on_deadline": "send_mt"})
    item_ids = [queue(client, brand, callback_url=hook.url)["review_id"] for _ in range(6)]
    alice = editor(gateway, admin)
    for rid in item_ids:
        alice.post(f"/v1/review/{rid}/claim")
    time.sleep(0.9)
    for rid in item_ids:
        alice.post(f"/v1/review/{rid}/approve", json={"text": "aprobado"})
    for rid in item_ids:
        item = wait_for(lambda rid=rid: (i := admin.get(f"/v1/review/{rid}").json())["status"] != "claimed" and i)
        assert item["status"] in ("approved", "sent_mt")
        [msg] = outbox_for(client, rid)
        assert msg["kind"] == item["status"]
    wait_for(lambda: len(hook.delivered()) >= len(item_ids))
    time.sleep(1.0)
    assert sorted(d["review_id"] for d in hook.delivered()) == sorted(item_ids)


@pytest.mark.anyio
async def test_an_entry_a_crashed_callback_worker_took_is_delivered_by_another(redis_url, receiver) -> None:
    from redis.asyncio import Redis

    from gateway.outbox import ReviewWorker, WorkerTiming
    from gateway.review import NewItem, ReviewStore

    hook = receiver()
    redis = Redis.from_url(redis_url)
    store = ReviewStore(redis)
    new = NewItem(
        brand="acme", source_lang="en", target_lang="es", conversation_id="c1", channel="email",
        direction="outbound", source="Hi", mt="Hola", confidence=0.4, band="poor", engine="apertium:en-es",
        signals=[], deadline_s=600, on_deadline="hold", callback_url=hook.url,
    )  # fmt: skip
    rid = await store.create(new, who="test")
    crashed = ReviewWorker(redis, store)
    await crashed._ensure_group()
    await store.approve(rid, "key:admin", True, "Hola, enviado.")
    # The crashed worker took the entry from the group and died before POSTing or acknowledging.
    assert [f[b"review_id"] for _, f in await crashed._read(">", block=None)] == [rid.encode()]

    live = ReviewWorker(redis, store, WorkerTiming(reclaim_idle_s=0.5))
    async with anyio.create_task_group() as tg:
        tg.start_soon(live.run)
        with anyio.fail_after(10):
            while not hook.delivered():
                await anyio.sleep(0.1)
        await anyio.sleep(1.0)  # room for a duplicate to show up
        tg.cancel_scope.cancel()
    assert [d["review_id"] for d in hook.delivered()] == [rid]
    pending = await redis.xpending("tonegate:{review}:outbox", "callbacks")
    assert pending["pending"] == 0
    await redis.aclose()
