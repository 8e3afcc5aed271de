"""`tonegate corrections`: see the engines' own corrections, switch them off and on, add your own."""

from __future__ import annotations

from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_redis, cli_settings, err, friendly_errors

corrections_app = typer.Typer(
    help="The engines' own corrections (for every brand): list, switch off/on, add, remove, history.",
    no_args_is_help=True,
)

EngineOpt = Annotated[str, typer.Option("--engine", help="engine kind")]
PairOpt = Annotated[str, typer.Option("--pair", help="language pair, source-target")]


def _pair(pair: str) -> tuple[str, str]:
    from gateway.keys import normalize_pair

    try:
        source, _, target = normalize_pair(pair).partition("-")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return source, target


def _run(fn):
    """Run `fn(store)` against the configured (or embedded) Redis; a refused change exits with 2."""
    from glossary.corrections.store import CorrectionStore
    from glossary.errors import GlossaryError

    settings = cli_settings()

    async def run():
        async with cli_redis(settings) as redis:
            return await fn(CorrectionStore(redis))

    try:
        with friendly_errors():
            return anyio.run(run)
    except GlossaryError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


@corrections_app.command("list")
def corrections_list(
    engine: EngineOpt = "apertium",
    pair: PairOpt = "en-es",
    search: Annotated[str | None, typer.Option("--search", "-s", help="text to look for")] = None,
) -> None:
    """One line per correction: id, on/off, kind, origin, match → replace."""
    source, target = _pair(pair)
    version, corrections = _run(lambda store: store.list(engine, source, target))
    needle = (search or "").casefold()
    for c in corrections:
        if needle and not any(needle in s.casefold() for s in (c.id, c.match, c.replace, c.note)):
            continue
        state = "on" if c.enabled else "off"
        typer.echo(f"{c.id}\t{state}\t{c.kind}\t{c.origin}\t{c.match}\t{c.replace}")
    err.print(
        f"{engine} {source}-{target}: version {version}, {sum(c.enabled for c in corrections)} of {len(corrections)} on"
    )


def _switch(correction_id: str, engine: str, pair: str, enabled: bool) -> None:
    source, target = _pair(pair)
    version = _run(lambda store: store.switch(engine, source, target, correction_id, enabled, who="cli"))
    err.print(f"{correction_id} switched {'on' if enabled else 'off'} (version {version})")


@corrections_app.command("off")
def corrections_off(
    correction_id: Annotated[str, typer.Argument(help="the correction's id")],
    engine: EngineOpt = "apertium",
    pair: PairOpt = "en-es",
) -> None:
    """Switch a correction off (shipped or your own); translations stop using it at once."""
    _switch(correction_id, engine, pair, False)


@corrections_app.command("on")
def corrections_on(
    correction_id: Annotated[str, typer.Argument(help="the correction's id")],
    engine: EngineOpt = "apertium",
    pair: PairOpt = "en-es",
) -> None:
    """Switch a correction back on."""
    _switch(correction_id, engine, pair, True)


@corrections_app.command("add")
def corrections_add(
    correction_id: Annotated[str, typer.Option("--id", help="a new id: letters, digits, - _ . :")],
    kind: Annotated[str, typer.Option(help="source (an English phrase forced to a rendering) | target (a rewrite)")],
    match: Annotated[str, typer.Option(help="source: the phrase; target: a regular expression over the output")],
    replace: Annotated[str, typer.Option(help="the rendering or replacement ({1}: group 1; {imp:1}: imperative)")],
    note: Annotated[str, typer.Option()] = "",
    engine: EngineOpt = "apertium",
    pair: PairOpt = "en-es",
) -> None:
    """Add your own correction (checked first: a pattern that does not compile is refused)."""
    source, target = _pair(pair)
    data = {"id": correction_id, "kind": kind, "match": match, "replace": replace, "note": note}
    version, c = _run(lambda store: store.add(engine, source, target, data, who="cli"))
    err.print(f"added {c.id} (version {version})")


@corrections_app.command("remove")
def corrections_remove(
    correction_id: Annotated[str, typer.Argument(help="the id of a correction you added")],
    engine: EngineOpt = "apertium",
    pair: PairOpt = "en-es",
) -> None:
    """Remove a correction you added (shipped ones can only be switched off)."""
    source, target = _pair(pair)
    version = _run(lambda store: store.delete(engine, source, target, correction_id, who="cli"))
    err.print(f"removed {correction_id} (version {version})")


@corrections_app.command("history")
def corrections_history(engine: EngineOpt = "apertium", pair: PairOpt = "en-es") -> None:
    """Every change: version, who, what."""
    import json

    source, target = _pair(pair)
    for change in _run(lambda store: store.history(engine, source, target)):
        what = change.get("id") or (change.get("correction") or {}).get("id", "")
        typer.echo(f"{change['version']}\t{change['who']}\t{change['action']}\t{what}\t{json.dumps(change['at'])}")
