"""`tonegate keys create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_redis, cli_settings, err, friendly_errors

keys_app = typer.Typer(
    help="Create, list and revoke API keys (roles: helpdesk ⊂ editor ⊂ admin).", no_args_is_help=True
)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="helpdesk | editor | admin")] = "helpdesk",
    label: Annotated[str, typer.Option(help="a note to recognise the key by")] = "",
    pair: Annotated[
        list[str] | None, typer.Option(help="limit an editor to a language pair, e.g. en-es (repeatable)")
    ] = None,
    brand: Annotated[
        str | None,
        typer.Option(help="the brand whose glossary and tone apply to the LibreTranslate and DeepL APIs"),
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
        from gateway.brands import BrandStore

        async with cli_redis(settings) as redis:
            if brand is not None and await BrandStore(redis).get(brand) is None:
                raise typer.BadParameter(f"--brand: no brand named {brand!r}")
            key, token = await KeyStore(redis).create(Role(role), label, created_by="cli", pairs=pairs, brand=brand)
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
            extra = (f"\t{','.join(k.pairs)}" if k.pairs else "") + (f"\tbrand={k.brand}" if k.brand else "")
            typer.echo(f"{k.id}\t{k.role.value}\t{k.label}" + extra)


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
