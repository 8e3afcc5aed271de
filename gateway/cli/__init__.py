"""The `tonegate` command: one Typer app assembled from a module per command group.

serve.py (the server), translate.py (translate, detect), keys.py, models.py, glossary.py, corrections.py,
jobs.py (worker, deadletters, integrations); common.py holds what they share (settings, the data
folder, Redis, readable errors).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.corrections import corrections_app
from gateway.cli.glossary import glossary_app
from gateway.cli.jobs import deadletters_app, integrations_app, worker
from gateway.cli.keys import keys_app
from gateway.cli.models import models_app
from gateway.cli.serve import serve
from gateway.cli.translate import detect, translate

app = typer.Typer(
    help="Tonegate: a self-hosted translation gateway for customer support.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="the gateway's data folder, where the embedded Redis keeps its files "
            "(default: TONEGATE_DATA_DIR, else $XDG_DATA_HOME/tonegate, i.e. ~/.local/share/tonegate)",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Tonegate: a self-hosted translation gateway for customer support."""
    if data_dir is not None:
        # Through the environment, so it wins over TONEGATE_CONFIG like any TONEGATE_ variable and
        # reaches every setting this command loads.
        os.environ["TONEGATE_DATA_DIR"] = str(data_dir)


app.command()(serve)
app.command()(translate)
app.command()(detect)
app.command()(worker)
app.add_typer(keys_app, name="keys")
app.add_typer(models_app, name="models")
app.add_typer(glossary_app, name="glossary")
app.add_typer(corrections_app, name="corrections")
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(integrations_app, name="integrations")
