"""`tonegate models ...`: prepare neural models for the engines file."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli.common import err, friendly_errors, setup_logging

models_app = typer.Typer(help="Prepare neural models for the engines file.", no_args_is_help=True)


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
