"""`tonegate models ...`: prepare neural models for the engines file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.common import cli_settings, err, friendly_errors, setup_logging

models_app = typer.Typer(
    help="Prepare neural models for the engines file: pull (fetch, convert, check, declare) or convert.",
    no_args_is_help=True,
)


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


@models_app.command("pull")
def models_pull(
    model: Annotated[
        str, typer.Argument(help="a local model folder, or a hub id such as Helsinki-NLP/opus-mt-en-de (online only)")
    ],
    engines: Annotated[
        Path | None,
        typer.Option(
            "--engines",
            help="the engines file to add the model to (default: TONEGATE_ENGINES, else engines.toml in the data "
            "folder, created from the built-in Apertium engines)",
            dir_okay=False,
        ),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(help="where converted models go (default: models/ in the data folder)", file_okay=False),
    ] = None,
    name: Annotated[str | None, typer.Option(help="the engine's name (default: from the model's name)")] = None,
    pairs: Annotated[
        str | None, typer.Option(help="comma-separated pairs such as en-de,en-fr (default: what the model declares)")
    ] = None,
    revision: Annotated[str | None, typer.Option(help="a hub branch, tag or commit (default: main, pinned)")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an earlier conversion of the same name")] = False,
) -> None:
    """Fetch a Marian/OPUS-MT, NLLB or M2M100 model, convert it to CTranslate2 int8, check it translates,
    and declare it in the engines file."""
    try:
        from models.pull import pull
    except ImportError as exc:  # pragma: no cover - the neural extras are optional
        err.print(f"[bold red]error:[/] needs the neural extras ({exc.name}): pip install -e '.[neural]'")
        raise typer.Exit(2) from None
    setup_logging("warning")
    data_dir = Path(os.environ.get("TONEGATE_DATA_DIR") or cli_settings().data_dir)
    target = engines or (Path(os.environ["TONEGATE_ENGINES"]) if os.environ.get("TONEGATE_ENGINES") else None)
    target = target or data_dir / "engines.toml"
    initial = (Path(__file__).resolve().parents[1] / "defaults" / "engines.toml").read_text(encoding="utf-8")
    with friendly_errors():
        pulled = pull(
            model,
            output_root=output_dir or data_dir / "models",
            engines_file=target,
            initial_engines=initial,
            name=name,
            pairs=tuple(p.strip() for p in pairs.split(",") if p.strip()) if pairs else (),
            revision=revision,
            force=force,
        )
    pair, text = pulled.sample
    err.print(f"converted {pulled.source} → {pulled.folder}")
    err.print(f"checked: {pair} {text!r}")
    err.print(f"declared engine {pulled.name!r} ({', '.join(pulled.pairs)}) in {target}")
    if not os.environ.get("TONEGATE_ENGINES") or Path(os.environ["TONEGATE_ENGINES"]).resolve() != target.resolve():
        err.print(f"serve it with: TONEGATE_ENGINES={target} tonegate serve")
