"""`python -m ops.banksim`: see `ops.banksim.cli`."""

from ops.banksim.cli import app

app(prog_name="python -m ops.banksim")
