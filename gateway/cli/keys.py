"""`tonegate keys create|list|revoke|rotate`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import anyio
import typer

from gateway.cli.common import cli_redis, cli_settings, err, friendly_errors
from gateway.keys import ApiKey, Role

# Who the audit log names for changes made on the server's own command line.
CLI = ApiKey(id="cli", role=Role.admin, label="tonegate CLI", created_at=0, created_by="cli")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> float:
    """'3600', '90m', '12h', '30d' -> seconds."""
    value = text.strip().lower()
    unit = value[-1] if value and value[-1] in _UNITS else "s"
    number = value[:-1] if value and value[-1] in _UNITS else value
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise typer.BadParameter(f"--ttl {text!r}: use seconds or a number with s, m, h or d (e.g. 30d)") from None
    if seconds <= 0:
        raise typer.BadParameter("--ttl must be positive")
    return seconds


def parse_brands(text: str) -> tuple[str, ...] | None:
    """'all' -> None (every brand); 'acme,globex' -> ('acme', 'globex')."""
    from gateway.brands import BRAND_NAME

    if text.strip().lower() == "all":
        return None
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise typer.BadParameter("--brands: name at least one brand, or 'all'")
    for name in names:
        if not BRAND_NAME.match(name):
            raise typer.BadParameter(f"--brands: {name!r} is not a brand name (a-z, 0-9, '-', '_')")
    return names


keys_app = typer.Typer(
    help="Create, list, rotate and revoke API keys (roles: helpdesk ⊂ editor ⊂ admin; each for some brands or all).",
    no_args_is_help=True,
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
    brands: Annotated[
        str,
        typer.Option(
            help="the brands (tenants) the key serves, comma-separated, or 'all'; "
            "an admin key for some brands is that brand's admin"
        ),
    ] = "all",
    ttl: Annotated[
        str | None, typer.Option(help="expire the key after this long: 3600, 90m, 12h, 30d (default: never)")
    ] = None,
) -> None:
    """Create an API key and print it (shown once; only its hash is stored)."""
    from gateway.keys import KeyStore, normalize_pair

    if role not in Role.__members__:
        raise typer.BadParameter("--role must be helpdesk, editor or admin")
    try:
        pairs = tuple(dict.fromkeys(normalize_pair(p) for p in pair or ()))
    except ValueError as exc:
        raise typer.BadParameter(f"--pair: {exc}") from None
    scope = parse_brands(brands)
    if brand is not None and scope is not None and brand not in scope:
        raise typer.BadParameter(f"--brand: {brand!r} must be one of --brands")
    expires_at = time.time() + parse_ttl(ttl) if ttl else None
    settings = cli_settings()

    async def run() -> tuple[str, str]:
        from gateway.audit import AuditLog
        from gateway.brands import BrandStore

        async with cli_redis(settings) as redis:
            store = BrandStore(redis)
            if brand is not None and await store.get(brand) is None:
                raise typer.BadParameter(f"--brand: no brand named {brand!r}")
            for name in scope or ():
                if await store.get(name) is None:
                    raise typer.BadParameter(f"--brands: no brand named {name!r}")
            key, token = await KeyStore(redis).create(
                Role(role), label, created_by="cli", pairs=pairs, brand=brand, brands=scope, expires_at=expires_at
            )
            await AuditLog(redis).record(CLI, "key", "create", key.id, scope or (), {"role": role, "via": "cli"})
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
            extra += "\tbrands=" + ("all" if k.brands is None else ",".join(k.brands))
            if k.expires_at is not None:
                when = datetime.fromtimestamp(k.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
                extra += f"\t{'expired' if k.expired() else 'expires'} {when}"
            typer.echo(f"{k.id}\t{k.role.value}\t{k.label}" + extra)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id (from `tonegate keys list`)")]) -> None:
    """Revoke an API key at once."""
    from gateway.keys import KeyStore

    settings = cli_settings()

    async def run() -> bool:
        from gateway.audit import AuditLog

        async with cli_redis(settings) as redis:
            found = await KeyStore(redis).get(key_id, live=False)
            done = await KeyStore(redis).revoke(key_id)
            if done:
                brands = found.brands if found else None
                await AuditLog(redis).record(CLI, "key", "revoke", key_id, brands or (), {"via": "cli"})
            return done

    with friendly_errors():
        if not anyio.run(run):
            err.print(f"[bold red]error:[/] no API key with id {key_id!r}")
            raise typer.Exit(1)
    err.print(f"revoked {key_id}")


@keys_app.command("scope")
def keys_scope(
    key_id: Annotated[str, typer.Argument(help="the key's id (from `tonegate keys list`)")],
    brands: Annotated[str, typer.Option(help="the brands it serves from now on, comma-separated, or 'all'")],
) -> None:
    """Narrow an existing key to some brands (keys made before brands were scoped serve all of them).

    The key itself does not change, so nothing that uses it needs a new one."""
    from gateway.audit import AuditLog
    from gateway.brands import BrandStore
    from gateway.keys import KeyStore

    scope = parse_brands(brands)
    settings = cli_settings()

    async def run() -> ApiKey | None:
        async with cli_redis(settings) as redis:
            for name in scope or ():
                if await BrandStore(redis).get(name) is None:
                    raise typer.BadParameter(f"--brands: no brand named {name!r}")
            try:
                key = await KeyStore(redis).set_brands(key_id, scope)
            except ValueError as exc:
                raise typer.BadParameter(f"--brands: {exc}") from None
            if key is not None:
                detail = {"brands": "all" if scope is None else list(scope), "via": "cli"}
                await AuditLog(redis).record(CLI, "key", "scope", key_id, scope or (), detail)
            return key

    with friendly_errors():
        key = anyio.run(run)
    if key is None:
        err.print(f"[bold red]error:[/] no API key with id {key_id!r}")
        raise typer.Exit(1)
    err.print(f"{key_id} now serves {'all brands' if key.brands is None else ', '.join(key.brands)}")


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="the key's id (from `tonegate keys list`)")],
    grace: Annotated[
        str, typer.Option(help="how long the old key keeps working, so callers can switch: 0, 3600, 15m, 1d")
    ] = "1h",
) -> None:
    """Issue a replacement (same role, label, pairs, brands and remaining lifetime) and retire the old key
    after a grace period. Prints the new key (shown once)."""
    from gateway.audit import AuditLog
    from gateway.keys import KeyStore

    seconds = 0.0 if grace.strip() in ("0", "0s") else parse_ttl(grace)
    settings = cli_settings()

    async def run() -> tuple[ApiKey, str, float] | None:
        async with cli_redis(settings) as redis:
            keys = KeyStore(redis)
            old = await keys.get(key_id)
            if old is None:
                return None
            now = time.time()
            ttl = None if old.expires_at is None else old.expires_at - old.created_at
            new, token = await keys.create(
                old.role,
                old.label,
                created_by=f"rotated from {old.id}",
                pairs=old.pairs,
                brand=old.brand,
                brands=old.brands,
                expires_at=None if ttl is None else now + ttl,
            )
            retire_at = now + seconds
            if seconds:
                await keys.expire(old.id, retire_at)
            else:
                await keys.revoke(old.id)
            detail = {"replaced_by": new.id, "old_works_until": retire_at, "via": "cli"}
            await AuditLog(redis).record(CLI, "key", "rotate", old.id, old.brands or (), detail)
            return new, token, retire_at

    with friendly_errors():
        done = anyio.run(run)
    if done is None:
        err.print(f"[bold red]error:[/] no live API key with id {key_id!r}")
        raise typer.Exit(1)
    new, token, retire_at = done
    until = datetime.fromtimestamp(retire_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    err.print(f"created {new.role.value} key {new.id} to replace {key_id}; {key_id} stops working at {until}.")
    err.print("Store the new key now, it is not shown again:")
    typer.echo(token)
