"""CLI commands for the effect stage (registered on the root app by geo/cli.py)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
