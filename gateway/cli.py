"""The `tonegate` command: serve the API, translate and detect from the shell, manage keys."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated

import anyio
import typer

from gateway.cli_common import cli_redis, cli_settings, err, friendly_errors, setup_logging
from gateway.cli_glossary import glossary_app
from gateway.cli_jobs import deadletters_app, integrations_app, worker
from gateway.settings import Settings

app = typer.Typer(
    help="Tonegate: a self-hosted translation gateway for customer support.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(
    help="Create, list and revoke API keys (roles: helpdesk ⊂ editor ⊂ admin).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
models_app = typer.Typer(help="Prepare neural models for the engines file.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(glossary_app, name="glossary")
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(integrations_app, name="integrations")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on [default: TONEGATE_HOST or 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port [default: TONEGATE_PORT or 8000]")] = None,
) -> None:
    """Serve the v1 HTTP API and the web app (/ui/), with TONEGATE_WORKERS job workers inside
    (default 1), on an embedded Redis unless TONEGATE_REDIS_URL is set."""
    import uvicorn

    from gateway.app import create_app, provided
    from gateway.services import open_services

    settings = cli_settings(host=host, port=port)
    setup_logging(settings.log_level)

    async def run() -> None:
        # Open Redis, engines and the detector before uvicorn starts, so a bad setting ends the
        # start with one line naming it rather than a lifespan traceback.
        async with open_services(settings) as services:
            app = create_app(settings, services_factory=provided(services))
            config = uvicorn.Config(
                app, host=settings.host, port=settings.port, log_level=settings.log_level, log_config=None
            )
            # uvicorn re-raises the SIGTERM/SIGINT it handled once it has stopped; with these
            # no-op handlers that lands here harmlessly and the services (and the embedded
            # redis-server child) still close in order.
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: None)
            await uvicorn.Server(config).serve()

    with friendly_errors():
        anyio.run(run)


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


@app.command()
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


@app.command()
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


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="helpdesk | editor | admin")] = "helpdesk",
    label: Annotated[str, typer.Option(help="a note to recognise the key by")] = "",
    pair: Annotated[
        list[str] | None, typer.Option(help="limit an editor to a language pair, e.g. en-es (repeatable)")
    ] = None,
) -> None:
    """Create an API key and print it (shown once; only its hash is stored)."""
    from gateway.keys import KeyStore, Role, normalize_pair

    if role not in Role.__members__:
        raise typer.BadParameter("--role must be helpdesk, editor or admin")
    try:
        pairs = tuple(dict.fromkeys(normalize_pair(p) for p in pair or ()))
    except ValueError as exc:
        raise typer.BadParameter(f"--pair: {exc}") from None
    settings = cli_settings()

    async def run() -> tuple[str, str]:
        async with cli_redis(settings) as redis:
            key, token = await KeyStore(redis).create(Role(role), label, created_by="cli", pairs=pairs)
            return key.id, token

    with friendly_errors():
        key_id, token = anyio.run(run)
    err.print(f"created {role} key {key_id}; store it now, it is not shown again:")
    typer.echo(token)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (ids, roles and labels; never the keys themselves)."""
    from gateway.keys import KeyStore

    settings = cli_settings()

    async def run():
        async with cli_redis(settings) as redis:
            return await KeyStore(redis).list()

    with friendly_errors():
        for k in anyio.run(run):
            typer.echo(f"{k.id}\t{k.role.value}\t{k.label}" + (f"\t{','.join(k.pairs)}" if k.pairs else ""))


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id (from `tonegate keys list`)")]) -> None:
    """Revoke an API key at once."""
    from gateway.keys import KeyStore

    settings = cli_settings()

    async def run() -> bool:
        async with cli_redis(settings) as redis:
            return await KeyStore(redis).revoke(key_id)

    with friendly_errors():
        if not anyio.run(run):
            err.print(f"[bold red]error:[/] no API key with id {key_id!r}")
            raise typer.Exit(1)
    err.print(f"revoked {key_id}")


@models_app.command("convert")
def models_convert(
    model_dir: Annotated[str, typer.Argument(help="a transformers model folder (Marian/OPUS-MT, NLLB-200, M2M100)")],
    output_dir: Annotated[str, typer.Argument(help="where to write the CTranslate2 model")],
    quantization: Annotated[
        str, typer.Option(help="int8 (CPU default), int8_float16, float16, bfloat16 or float32")
    ] = "int8",
    force: Annotated[bool, typer.Option("--force", help="overwrite output_dir")] = False,
) -> None:
    """Convert a transformers model folder to CTranslate2 (the fast path), tokenizer included."""
    try:
        from models.ct2 import convert
    except ImportError as exc:  # the neural extras are optional
        err.print(f"[bold red]error:[/] needs the neural extras ({exc.name}): pip install -e '.[neural]'")
        raise typer.Exit(2) from None
    setup_logging("warning")
    with friendly_errors():
        out_path = convert(model_dir, output_dir, quantization, force=force)
    err.print(f'converted {model_dir} → {out_path}; declare it with kind = "ctranslate2", model = "{out_path}"')


# Defined in gateway/cli_jobs.py with the dead-letter commands; listed after `serve`.
app.command()(worker)

if __name__ == "__main__":  # `python -m gateway.cli`, as the tests run worker processes
    app()
