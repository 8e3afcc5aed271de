"""Shared by the web app tests: a real headless Chromium (Debian's), signing in, seeding review items."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, headless, as root in a container: no sandbox (it needs user namespaces), no
# GPU, and none of the background traffic a browser makes on its own (tests never reach the network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]


@pytest.fixture(scope="module", name="browser")
def _browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(name="page")
def _page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test; any script error on a page fails the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 820})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


def sign_in(page: Page, base_url: str, key: str, path: str = "/ui/") -> None:
    page.goto(base_url + path)
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def new_key(admin: httpx.Client, role: str = "editor", pairs: list[str] | None = None, label: str = "") -> dict:
    r = admin.post(
        "/v1/keys", json={"role": role, "label": label or f"{role} {secrets.token_hex(2)}", "pairs": pairs or []}
    )
    assert r.status_code == 201, r.text
    return r.json()


def signed_in_client(base_url: str, key: str) -> tuple[httpx.Client, str]:
    """An httpx client with a web session, and the session's CSRF token (as a page holds it)."""
    c = httpx.Client(base_url=base_url, timeout=60)
    signin = c.get("/ui/")
    token = re.search(r'name="csrf" value="([^"]+)"', signin.text).group(1)  # type: ignore[union-attr]
    r = c.post("/ui/signin", data={"key": key, "csrf": token, "next": "/ui/review"})
    assert r.status_code == 303, r.text
    page = c.get("/ui/review")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return c, csrf


def seed_items(
    redis_url: str,
    brand: str,
    count: int,
    *,
    pair: tuple[str, str] = ("en", "es"),
    source: str = "Hi",
    mt: str = "Hola",
) -> list[str]:
    """Review items written straight into the gateway's Redis through ReviewStore (fast: no engine)."""
    from redis.asyncio import Redis

    from gateway.review import NewItem, ReviewStore

    async def run() -> list[str]:
        redis = Redis.from_url(redis_url)
        store = ReviewStore(redis)
        new = NewItem(
            brand=brand, source_lang=pair[0], target_lang=pair[1], conversation_id="c-" + secrets.token_hex(3),
            channel="chat", direction="outbound", source=source, mt=mt, confidence=0.41, band="poor",
            engine="apertium:en-es", signals=[{"name": "round_trip", "detail": "the round trip lost the meaning"}],
            deadline_s=3600, on_deadline="hold",
        )  # fmt: skip
        ids: list[str] = []
        for start in range(0, count, 50):
            ids += await asyncio.gather(*(store.create(new, who="test") for _ in range(start, min(count, start + 50))))
        await redis.aclose()
        return ids

    return run_async(run())


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Playwright's sync API keeps an event loop in the test thread: run coroutines in another one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def drop_items(redis_url: str, brand: str, ids: list[str]) -> None:
    """Take seeded items out of every index again, so later tests list a queue of normal size."""
    import redis

    from gateway.review import (
        ALL,
        DEADLINES,
        OPEN_INDEX,
        STATUSES,
        brand_key,
        history_key,
        item_key,
        pair_key,
        status_key,
    )

    client = redis.Redis.from_url(redis_url)
    pairs = {p.decode() for p in client.scan_iter(match=pair_key("*"))}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        with client.pipeline(transaction=False) as pipe:
            for index in (ALL, DEADLINES, OPEN_INDEX, *(status_key(s) for s in STATUSES), *pairs):
                pipe.zrem(index, *chunk)
            pipe.delete(*(item_key(i) for i in chunk), *(history_key(i) for i in chunk))
            pipe.execute()
    client.delete(brand_key(brand))
    client.close()
