"""What the slices' CLI commands share, kept apart from lms/cli.py (which mounts those commands),
so that a slice's cli.py never imports the module that imports it."""

from __future__ import annotations

import click


def fail(message: str) -> None:
    """Print `message` in red on stderr and end the command with exit status 1."""
    click.secho(message, fg="red", err=True)
    raise SystemExit(1)
