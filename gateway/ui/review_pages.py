"""Editors: the review queue (filtered, paged on the server, refreshed live) and one item's page."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

import anyio
from fastapi import APIRouter, Depends, Form, Request, Response

from gateway.deps import ServicesDep, authorize_item
from gateway.errors import Conflict, InvalidInput
from gateway.keys import Role, normalize_pair
from gateway.review import OPEN, STATUSES, Page, ReviewItem
from gateway.services import Services
from gateway.ui.highlight import highlight
from gateway.ui.web import EditorViewer, UIRoute, Viewer, redirect, render, sessions

router = APIRouter(route_class=UIRoute)
PAGE_SIZE = 50
LEASE_S = 300
DUE = {"overdue": 0, "15m": 900, "1h": 3600, "24h": 86400}
QUEUE_FIELDS = ("brand", "pair", "status", "due", "offset")

# Signal names in plain words; the detail that comes with each says what was measured.
SIGNALS = {
    "engine_score": "The engine was unsure",
    "round_trip": "Translated back, the meaning changed",
    "round_trip_words": "Translated back, words changed",
    "unknown_words": "Words the engine does not know",
    "generation_errors": "Word forms the engine could not build",
    "length_ratio": "Unusual length",
    "source_rarity": "Everyday wording",
    "output_rarity": "Rare words in the translation",
    "foreign_words": "Words left in the source language",
    "unseen_words": "Words unknown in the target language",
    "untranslated": "Text left untranslated",
    "word_length": "Short, ambiguous words",
    "common_words": "Common words",
    "plainness": "Plain text with no names or numbers",
    "mask_lost": "Protected text lost",
    "mask_duplicated": "Protected text repeated",
    "mismatch": "Numbers, links or names differ",
    "repetition": "The translation repeats itself",
    "wrong_language": "The translation is in the wrong language",
    "pivot": "Translated through a third language",
    "term_missing": "A glossary term is missing",
    "forbidden_word": "A forbidden word was replaced",
    "tone": "Wrong tone left in",
    "tone_fixed": "Tone corrected",
}


@dataclass(frozen=True, slots=True)
class QueueFilter:
    brand: str = ""
    pair: str = ""
    status: str = "open"
    due: str = ""
    offset: int = 0

    def query(self, **change: object) -> str:
        values = {"brand": self.brand, "pair": self.pair, "status": self.status, "due": self.due, "offset": self.offset}
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v not in ("", 0, "open")})


async def _filter(brand: str = "", pair: str = "", status: str = "open", due: str = "", offset: int = 0) -> QueueFilter:
    """The queue's filters from the query string (a dependency of the page and of its polled rows)."""
    if pair.strip():
        try:
            pair = normalize_pair(pair)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    if status not in (*STATUSES, "open", "all"):
        raise InvalidInput(f"unknown status {status!r}")
    if due and due not in DUE:
        raise InvalidInput(f"unknown deadline filter {due!r}")
    return QueueFilter(brand.strip(), pair.strip(), status, due, max(0, offset))


Filter = Annotated[QueueFilter, Depends(_filter)]


async def _page(services: Services, viewer: Viewer, f: QueueFilter) -> Page:
    statuses = list(OPEN) if f.status == "open" else [] if f.status == "all" else [f.status]
    return await services.review.list(
        statuses=statuses,
        brand=f.brand or None,
        pair=f.pair or None,
        allowed_pairs=() if viewer.is_admin else viewer.key.pairs,
        allowed_brands=viewer.key.brands,
        deadline_before=time.time() + DUE[f.due] if f.due else None,
        offset=f.offset,
        limit=PAGE_SIZE,
    )


def _queue_url(back: str) -> str:
    """The queue with the filters an item was opened from (known fields only: never another URL)."""
    kept = urlencode([(k, v) for k, v in parse_qsl(back)[:10] if k in QUEUE_FIELDS])
    return "/ui/review" + (f"?{kept}" if kept else "")


async def _holders(services: Services) -> dict[str, str]:
    """Who holds a claim, by the `who` the store records, in a person's words."""
    names = {f"key:{k.id}": (k.label or k.id) for k in await services.keys.list()}
    return names | {"key:bootstrap": "TONEGATE_ADMIN_KEY", "system": "the gateway"}


@router.get("/ui/review", include_in_schema=False)
async def queue(request: Request, services: ServicesDep, viewer: EditorViewer, f: Filter) -> Response:
    page = await _page(services, viewer, f)
    context = _rows_context(f, page, await _holders(services)) | {
        "section": "review",
        "brands": [b for b in await services.brands.names() if viewer.key.sees(b)],
        "statuses": ("open", *STATUSES, "all"),
    }
    return await render(request, "queue.html", context)


@router.get("/ui/review/rows", include_in_schema=False)
async def rows(request: Request, services: ServicesDep, viewer: EditorViewer, f: Filter, seen: str = "") -> Response:
    """The table alone, polled by the queue page so new items show up without a reload.

    The page sends back the fingerprint of what it shows (`seen`); when nothing changed the answer
    is 204 and htmx swaps nothing, so focus, scroll and screen readers are left alone.
    """
    page = await _page(services, viewer, f)
    if seen and seen == _fingerprint(page):
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    return await render(request, "_rows.html", _rows_context(f, page, await _holders(services)))


def _fingerprint(page: Page) -> str:
    """Changes whenever the rows shown (or the total) would: ids, statuses, claims, deadlines."""
    parts = [str(page.total)] + [f"{i.id}:{i.status}:{i.claimed_by}:{i.deadline_at}" for i in page.items]
    return hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()


def _rows_context(f: QueueFilter, page: Page, holders: dict[str, str]) -> dict:
    return {"f": f, "page": page, "holders": holders, "page_size": PAGE_SIZE, "fingerprint": _fingerprint(page)}


async def _allowed(services: Services, item_id: str, viewer: Viewer) -> ReviewItem:
    # The API's authorizer: another brand's item is "not found", exactly like a missing one.
    return await authorize_item(services, viewer.key, item_id)


@router.get("/ui/review/{item_id}", include_in_schema=False)
async def item_page(
    request: Request, item_id: str, services: ServicesDep, viewer: EditorViewer, back: str = ""
) -> Response:
    item = await _allowed(services, item_id, viewer)
    brand = await services.brands.get(item.brand)
    rules = await services.pipeline.brand_rules(brand, item.target_lang) if brand else None
    # Terms in inflected forms take the analysers (a pipe round trip each): off the event loop.
    marked = await anyio.to_thread.run_sync(
        lambda: highlight(
            item.source,
            item.mt,
            item.source_lang,
            item.target_lang,
            rules.compiled if rules else None,
            dict(brand.tone) if brand else {},
            services.pipeline.morphologies,
        )
    )
    suggestions = []
    if item.source_lang != "und":
        suggestions = await services.memory.suggest(item.brand, item.source_lang, item.target_lang, item.source, 5)
    context = {
        "section": "review",
        "item": item,
        "marked": marked,
        "signals": [(SIGNALS.get(s.get("name", ""), s.get("name", "")), s.get("detail", "")) for s in item.signals],
        "suggestions": suggestions,
        "history": await services.review.history(item_id),
        "holders": await _holders(services),
        "mine": item.status == "claimed" and item.claimed_by == viewer.who,
        "open": item.status in OPEN,
        "queue_url": _queue_url(back),
        "back": back,
    }
    return await render(request, "item.html", context)


async def _audit(services: Services, viewer: Viewer, action: str, item: ReviewItem) -> None:
    await services.audit.record(viewer.key, "review", action, item.id, [item.brand], {"via": "web"})


async def _claimed(services: Services, item: ReviewItem, viewer: Viewer) -> None:
    """Deciding needs the claim: take it now unless it is already ours (admins need none)."""
    if viewer.is_admin or (item.status == "claimed" and item.claimed_by == viewer.who):
        return
    await services.review.claim(item.id, viewer.who, LEASE_S)


async def _act(services: Services, viewer: Viewer, item_id: str, action: str, text: str, back: str) -> Response:
    item = await _allowed(services, item_id, viewer)
    store = sessions(services)
    queue_url = _queue_url(back)
    back = f"/ui/review/{item_id}" + (f"?{urlencode([('back', back)])}" if back else "")
    admin = viewer.key.role == Role.admin
    try:
        if action == "claim":
            await services.review.claim(item_id, viewer.who, LEASE_S)
            await _audit(services, viewer, "claim", item)
            await store.flash(viewer.session, f"You hold this item for {LEASE_S // 60} minutes.")
            return redirect(back)
        if action == "release":
            await services.review.release(item_id, viewer.who, admin)
            await _audit(services, viewer, "release", item)
            await store.flash(viewer.session, "Released: another editor may take it.")
            return redirect(queue_url)
        if not text.strip():
            what = "the translation to send" if action == "approve" else "a reason for rejecting"
            raise InvalidInput(f"Write {what} first.")
        await _claimed(services, item, viewer)
        if action == "approve":
            done = await services.approve_review(item_id, viewer.who, admin, text)
            await _audit(services, viewer, "approve", item)
            await store.flash(
                viewer.session, f"Approved: the text is on its way to conversation {done.conversation_id}."
            )
        else:
            await services.review.reject(item_id, viewer.who, admin, text.strip())
            await _audit(services, viewer, "reject", item)
            await store.flash(viewer.session, "Rejected: nothing was sent.")
        return redirect(queue_url)
    except (Conflict, InvalidInput) as exc:
        message = exc.message
        for who, name in (await _holders(services)).items():  # "claimed by key:…" in a person's words
            message = message.replace(who, name)
        await store.flash(viewer.session, message, "error")
        return redirect(back)


Back = Annotated[str, Form(max_length=500)]


@router.post("/ui/review/{item_id}/claim", include_in_schema=False)
async def claim(item_id: str, services: ServicesDep, viewer: EditorViewer, back: Back = "") -> Response:
    return await _act(services, viewer, item_id, "claim", "", back)


@router.post("/ui/review/{item_id}/release", include_in_schema=False)
async def release(item_id: str, services: ServicesDep, viewer: EditorViewer, back: Back = "") -> Response:
    return await _act(services, viewer, item_id, "release", "", back)


@router.post("/ui/review/{item_id}/approve", include_in_schema=False)
async def approve(
    item_id: str,
    services: ServicesDep,
    viewer: EditorViewer,
    text: Annotated[str, Form(max_length=100_000)] = "",
    back: Back = "",
) -> Response:
    return await _act(services, viewer, item_id, "approve", text, back)


@router.post("/ui/review/{item_id}/reject", include_in_schema=False)
async def reject(
    item_id: str,
    services: ServicesDep,
    viewer: EditorViewer,
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Back = "",
) -> Response:
    return await _act(services, viewer, item_id, "reject", reason, back)
