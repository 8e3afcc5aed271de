"""`tonegate translate` and `tonegate detect` from the shell."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_settings, err, friendly_errors, setup_logging


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


_NO_GATEWAY = (
    "translating in this process: loading the engines and the language detector (a few seconds); "
    "set TONEGATE_URL and TONEGATE_API_KEY to use a running gateway instead"
)


def translate(
    text: Annotated[
        list[str] | None, typer.Argument(help="text(s) to translate; none: read JSON lines from stdin")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", "-t", help="target language, e.g. es")] = None,
    source: Annotated[str | None, typer.Option("--from", "-f", help="source language (default: detect)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text | html | markdown")] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="print the whole result as JSON")] = False,
    batch_size: Annotated[int, typer.Option(help="texts per batch when reading stdin", min=1, max=256)] = 64,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar="TONEGATE_URL",
            help="a running gateway to translate with, e.g. http://127.0.0.1:8000 (fast: its engines are loaded)",
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="TONEGATE_API_KEY", help="an API key of that gateway")
    ] = None,
    brand: Annotated[
        str | None, typer.Option(help="apply this brand's glossary and tone (needs a running gateway)")
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="load the engines in this process even if TONEGATE_URL is set")
    ] = False,
) -> None:
    """Translate text given as arguments, or JSON lines on stdin ({"text": ..., "target_lang": ...}) as one batch.

    With TONEGATE_URL and TONEGATE_API_KEY it asks that running gateway (milliseconds); otherwise it
    loads the engines it needs in this process and says so on stderr (seconds)."""
    if fmt not in ("text", "html", "markdown"):
        raise typer.BadParameter("--format must be text, html or markdown")
    if text:
        if not to:
            raise typer.BadParameter("--to is required, e.g. --to es")
        for i, t in enumerate(text, 1):
            if not t.strip():
                # As the API answers 422: an empty text is a mistake, not an empty translation.
                raise typer.BadParameter(f"text {i} is empty: nothing to translate", param_hint="TEXT")
        jobs = [(t, to, source) for t in text]
        from_stdin = False
    else:
        if sys.stdin.isatty():
            raise typer.BadParameter("give a text, or pipe JSON lines into stdin")
        jobs = _read_jobs(sys.stdin.read().splitlines(), to, source)
        if not jobs:
            raise typer.BadParameter("stdin held no text to translate")
        from_stdin = True
    remote = url is not None and not local
    if remote and not api_key:
        raise typer.BadParameter("TONEGATE_URL is set: give its API key with --api-key or TONEGATE_API_KEY")
    if brand and not remote:
        raise typer.BadParameter("--brand needs a running gateway: set TONEGATE_URL and TONEGATE_API_KEY")
    settings = cli_settings()
    setup_logging("warning")

    from rich.progress import Progress

    def batches():
        """Jobs sharing a target and source go to the engine together, in batches; yields
        (chunk, {(target, source): indexes into chunk})."""
        with Progress(console=err, transient=True, disable=not (from_stdin and err.is_terminal)) as bar:
            task = bar.add_task("translating", total=len(jobs))
            for lo in range(0, len(jobs), batch_size):
                chunk = jobs[lo : lo + batch_size]
                keyed: dict[tuple[str, str | None], list[int]] = {}
                for i, (_, tgt, src) in enumerate(chunk):
                    keyed.setdefault((tgt, src), []).append(i)
                yield chunk, keyed
                bar.advance(task, len(chunk))

    def ordered(chunk, keyed, translate_group) -> list[dict]:
        out: list[dict | None] = [None] * len(chunk)
        for (tgt, src), idxs in keyed.items():
            for i, r in zip(idxs, translate_group([chunk[i][0] for i in idxs], tgt, src), strict=True):
                out[i] = r
        return [r for r in out if r is not None]

    def run_remote() -> list[dict]:
        from gateway.cli.remote import GatewayClient

        with GatewayClient(url or "", api_key or "") as client:
            results: list[dict] = []
            for chunk, keyed in batches():
                results += ordered(chunk, keyed, lambda texts, tgt, src: client.translate(texts, tgt, src, fmt, brand))
            return results

    async def run_local() -> list[dict]:
        from gateway.cli.local import local_pipeline
        from gateway.pipeline import TranslateJob

        err.print(_NO_GATEWAY)
        async with local_pipeline(settings, {(src, tgt) for _, tgt, src in jobs}) as pipeline:
            results: list[dict] = []
            for chunk, keyed in batches():
                done: dict[tuple[str, str | None], list[dict]] = {}
                for (tgt, src), idxs in keyed.items():
                    found = await pipeline.translate(TranslateJob(tuple(chunk[i][0] for i in idxs), tgt, src, fmt=fmt))
                    done[(tgt, src)] = [_translation_dict(t) for t in found]
                results += ordered(chunk, keyed, lambda texts, tgt, src, done=done: done[(tgt, src)])
            return results

    with friendly_errors():
        results = run_remote() if remote else anyio.run(run_local)
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
    """Print the language of each text (the best guess, marked when unreliable) and the detector's confidence."""
    from gateway.services import load_detector

    settings = cli_settings()
    with friendly_errors():
        detector = load_detector(settings, preload=False)
        cands = [c.strip() for c in candidates.split(",") if c.strip()] if candidates else None
        found = detector.detect(list(text), cands)
    for d in found:
        if as_json:
            alternatives = [{"lang": lang, "confidence": c} for lang, c in d.alternatives]
            typer.echo(json.dumps({**asdict(d), "alternatives": alternatives, "reliable": d.reliable}))
        elif d.lang is None:
            typer.echo(f"unknown\t{d.reason}")
        elif not d.reliable:  # the best guess, which the gateway would weigh against context
            typer.echo(f"{d.lang}\t{d.confidence:.2f}\tunreliable ({d.reason})")
        else:
            typer.echo(f"{d.lang}\t{d.confidence:.2f}")
