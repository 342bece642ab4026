"""``python -m teilhabe_rules`` runs the command line."""

from .cli import run

run()
