"""`python -m gateway.cli`, as the tests run worker processes."""

from gateway.cli import app

app(prog_name="tonegate")
