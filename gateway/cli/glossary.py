"""`tonegate glossary`: maintain a brand's termbase from the shell."""

from __future__ import annotations

from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_redis, cli_settings, err, friendly_errors
from gateway.errors import SettingsError

glossary_app = typer.Typer(help="Maintain a brand's glossary (termbase) in the gateway's Redis.", no_args_is_help=True)


def _glossary_run(fn):
    """Run `fn(store, brands)` against the configured (or embedded) Redis with friendly errors."""
    from gateway.brands import BrandStore
    from glossary.store import TermbaseStore

    settings = cli_settings()

    async def run():
        async with cli_redis(settings) as redis:
            return await fn(TermbaseStore(redis), BrandStore(redis))

    with friendly_errors():
        return anyio.run(run)


async def _require_brand(brands, brand: str) -> None:
    if await brands.get(brand) is None:
        raise SettingsError(f"no brand named {brand!r}; create it with PUT /v1/brands/{brand}")


async def _audit(brands, action: str, target: str, brand: str, detail: dict) -> None:
    """The audit log names changes made on the server's command line as the CLI's."""
    from gateway.audit import AuditLog
    from gateway.cli.keys import CLI

    await AuditLog(brands.redis).record(CLI, "glossary", action, target, [brand], detail | {"via": "cli"})


def _glossary_errors(fn):
    from glossary.errors import GlossaryError, ImportFailed

    try:
        return fn()
    except ImportFailed as exc:
        err.print(f"[bold red]error:[/] {len(exc.errors)} problem(s), nothing imported:")
        for line, msg in exc.errors:
            err.print(f"  line {line}: {msg}")
        raise typer.Exit(2) from None
    except GlossaryError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


_FORMATS = {"csv": ",", "tsv": "\t"}


@glossary_app.command("import")
def glossary_import(
    brand: Annotated[str, typer.Argument(help="the brand")],
    path: Annotated[str, typer.Argument(help="a CSV, TSV or TBX file")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv | tsv | tbx (default: from the file name)")] = None,
    mode: Annotated[
        str, typer.Option(help="merge (add and update) or replace (the file becomes the glossary)")
    ] = "merge",
    source_lang: Annotated[str | None, typer.Option(help="for two-column files: the source language")] = None,
    target_lang: Annotated[str | None, typer.Option(help="for two-column files: the target language")] = None,
) -> None:
    """Import entries; every row is checked first and nothing is applied if any is wrong."""
    from pathlib import Path

    from glossary.io import decode_table, parse_table, parse_tbx

    file = Path(path)
    fmt = fmt or file.suffix.lstrip(".").lower()
    if fmt not in ("csv", "tsv", "tbx"):
        raise typer.BadParameter("--format must be csv, tsv or tbx")
    if mode not in ("merge", "replace"):
        raise typer.BadParameter("--mode must be merge or replace")
    if not file.is_file():
        raise typer.BadParameter(f"{path} does not exist")
    raw = file.read_bytes()

    def parse():
        if fmt == "tbx":
            return parse_tbx(raw)
        # The file's own delimiter wins (comma, semicolon or tab); the format breaks ties.
        return parse_table(decode_table(raw), source_lang=source_lang, target_lang=target_lang, default=_FORMATS[fmt])

    terms = _glossary_errors(parse)

    async def apply(store, brands):
        await _require_brand(brands, brand)
        done = await store.import_terms(brand, terms, mode, who="cli")
        await _audit(brands, "import", brand, brand, {"version": done[0].version, "mode": mode, "rows": len(terms)})
        return done

    termbase, change = _glossary_errors(lambda: _glossary_run(apply))
    err.print(
        f"imported {len(terms)} entries into {brand} (version {termbase.version}): "
        f"{len(change.added)} added, {len(change.changed)} updated, {len(change.removed)} removed"
    )


@glossary_app.command("export")
def glossary_export(
    brand: Annotated[str, typer.Argument(help="the brand")],
    fmt: Annotated[str, typer.Option("--format", help="csv | tsv | tbx")] = "csv",
    output: Annotated[str | None, typer.Option("--output", "-o", help="file to write (default: stdout)")] = None,
) -> None:
    """Export the glossary; importing the file again gives the same entries."""
    from glossary.io import write_table, write_tbx

    if fmt not in ("csv", "tsv", "tbx"):
        raise typer.BadParameter("--format must be csv, tsv or tbx")

    async def load(store, brands):
        await _require_brand(brands, brand)
        return await store.get(brand)

    termbase = _glossary_run(load)
    body = write_tbx(termbase.terms, brand) if fmt == "tbx" else write_table(termbase.terms, _FORMATS[fmt])
    if output:
        from pathlib import Path

        Path(output).write_text(body, encoding="utf-8")
        err.print(f"wrote {len(termbase.terms)} entries (version {termbase.version}) to {output}")
    else:
        typer.echo(body, nl=False)


@glossary_app.command("list")
def glossary_list(
    brand: Annotated[str, typer.Argument(help="the brand")],
    search: Annotated[str | None, typer.Option("--search", "-s", help="text to look for")] = None,
) -> None:
    """List entries: id, kind, languages, source → target."""

    async def load(store, brands):
        await _require_brand(brands, brand)
        return await store.get(brand)

    termbase = _glossary_run(load)
    needle = (search or "").casefold()
    for t in termbase.terms:
        if needle and not any(needle in (s or "").casefold() for s in (t.source, t.target, t.note, *t.variants)):
            continue
        langs = f"{t.source_lang or '*'}→{t.target_lang or '*'}"
        typer.echo(f"{t.id}\t{t.kind}\t{langs}\t{t.source}\t{t.target or ''}")


@glossary_app.command("add")
def glossary_add(
    brand: Annotated[str, typer.Argument(help="the brand")],
    kind: Annotated[str, typer.Option(help="dnt | term | forbidden")],
    source: Annotated[str, typer.Option(help="the text to find")],
    target: Annotated[str | None, typer.Option(help="term: the target form; forbidden: the replacement")] = None,
    source_lang: Annotated[str | None, typer.Option()] = None,
    target_lang: Annotated[str | None, typer.Option()] = None,
    case_sensitive: Annotated[bool | None, typer.Option("--case-sensitive/--ignore-case")] = None,
    variant: Annotated[list[str] | None, typer.Option(help="an accepted inflected target form (repeatable)")] = None,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Add one entry."""
    from glossary.terms import make_term

    data = {
        "kind": kind,
        "source": source,
        "target": target,
        "source_lang": source_lang,
        "target_lang": target_lang,
        "case_sensitive": case_sensitive,
        "variants": variant or [],
        "note": note,
    }
    term = _glossary_errors(lambda: make_term({k: v for k, v in data.items() if v is not None}))

    async def add(store, brands):
        await _require_brand(brands, brand)
        done = await store.add(brand, term, who="cli")
        await _audit(brands, "add", term.id, brand, {"version": done[0].version})
        return done

    termbase, _ = _glossary_errors(lambda: _glossary_run(add))
    typer.echo(term.id)
    err.print(f"added to {brand} (version {termbase.version})")


@glossary_app.command("delete")
def glossary_delete(
    brand: Annotated[str, typer.Argument(help="the brand")],
    term_id: Annotated[str, typer.Argument(help="the entry's id (from `tonegate glossary list`)")],
) -> None:
    """Delete one entry."""

    async def delete(store, brands):
        await _require_brand(brands, brand)
        done = await store.delete(brand, term_id, who="cli")
        await _audit(brands, "delete", term_id, brand, {"version": done[0].version})
        return done

    termbase, _ = _glossary_errors(lambda: _glossary_run(delete))
    err.print(f"deleted {term_id} from {brand} (version {termbase.version})")
