"""`tonegate translate` and `tonegate detect` from the shell."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_settings, err, friendly_errors, setup_logging
from gateway.settings import Settings


@asynccontextmanager
async def _local_pipeline(settings: Settings) -> AsyncIterator[object]:
    """The same pipeline the server runs, without Redis (no brands or conversation memory)."""
    from gateway.pipeline import Pipeline
    from gateway.services import load_detector, load_registry

    registry = await anyio.to_thread.run_sync(load_registry, settings)
    try:
        detector = await anyio.to_thread.run_sync(load_detector, settings, False)
        yield Pipeline(registry, detector, None, settings.review_below)
    finally:
        registry.close()


def _translation_dict(t) -> dict:
    from gateway.routers.translate import translation_out

    return translation_out(t).model_dump()


def _read_jobs(lines: list[str], default_to: str | None, default_from: str | None) -> list[tuple[str, str, str | None]]:
    jobs = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"stdin line {n} is not JSON: {exc}") from None
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise typer.BadParameter(
                f'stdin line {n}: expected {{"text": "...", "target_lang": "es"}} or a JSON string'
            )
        target = item.get("target_lang") or default_to
        if not target:
            raise typer.BadParameter(f"stdin line {n}: no target_lang and no --to")
        jobs.append((item["text"], target, item.get("source_lang") or default_from))
    return jobs


def translate(
    text: Annotated[
        list[str] | None, typer.Argument(help="text(s) to translate; none: read JSON lines from stdin")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", "-t", help="target language, e.g. es")] = None,
    source: Annotated[str | None, typer.Option("--from", "-f", help="source language (default: detect)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text | html | markdown")] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="print the whole result as JSON")] = False,
    batch_size: Annotated[int, typer.Option(help="texts per batch when reading stdin", min=1)] = 64,
) -> None:
    """Translate text given as arguments, or JSON lines on stdin ({"text": ..., "target_lang": ...}) as one batch."""
    from gateway.pipeline import TranslateJob

    if fmt not in ("text", "html", "markdown"):
        raise typer.BadParameter("--format must be text, html or markdown")
    if text:
        if not to:
            raise typer.BadParameter("--to is required, e.g. --to es")
        jobs = [(t, to, source) for t in text]
        from_stdin = False
    else:
        if sys.stdin.isatty():
            raise typer.BadParameter("give a text, or pipe JSON lines into stdin")
        jobs = _read_jobs(sys.stdin.read().splitlines(), to, source)
        from_stdin = True
    settings = cli_settings()
    setup_logging("warning")

    async def run() -> list[dict]:
        async with _local_pipeline(settings) as pipeline:
            results: list[dict] = []
            # Jobs sharing a target and source go to the engine together, in batches.
            from rich.progress import Progress

            with Progress(console=err, transient=True, disable=not (from_stdin and err.is_terminal)) as bar:
                task = bar.add_task("translating", total=len(jobs))
                for lo in range(0, len(jobs), batch_size):
                    chunk = jobs[lo : lo + batch_size]
                    keyed: dict[tuple[str, str | None], list[int]] = {}
                    for i, (_, tgt, src) in enumerate(chunk):
                        keyed.setdefault((tgt, src), []).append(i)
                    chunk_out: list[dict | None] = [None] * len(chunk)
                    for (tgt, src), idxs in keyed.items():
                        done = await pipeline.translate(
                            TranslateJob(tuple(chunk[i][0] for i in idxs), tgt, src, fmt=fmt)
                        )
                        for i, t in zip(idxs, done, strict=True):
                            chunk_out[i] = _translation_dict(t)
                    results.extend(r for r in chunk_out if r is not None)
                    bar.advance(task, len(chunk))
            return results

    with friendly_errors():
        results = anyio.run(run)
    for r in results:
        if as_json or from_stdin:
            typer.echo(json.dumps(r, ensure_ascii=False))
        else:
            typer.echo(r["text"])


def detect(
    text: Annotated[list[str], typer.Argument(help="text(s) to identify")],
    candidates: Annotated[
        str | None, typer.Option(help="comma-separated languages to choose from, e.g. en,fr,de")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole result as JSON")] = False,
) -> None:
    """Print the language of each text and the detector's confidence."""
    from gateway.services import load_detector

    settings = cli_settings()
    with friendly_errors():
        detector = load_detector(settings, preload=False)
        cands = [c.strip() for c in candidates.split(",") if c.strip()] if candidates else None
        found = detector.detect(list(text), cands)
    for d in found:
        if as_json:
            alternatives = [{"lang": lang, "confidence": c} for lang, c in d.alternatives]
            typer.echo(json.dumps({**asdict(d), "alternatives": alternatives}))
        elif d.lang is None:
            typer.echo(f"unknown\t{d.reason}")
        else:
            typer.echo(f"{d.lang}\t{d.confidence:.2f}")
