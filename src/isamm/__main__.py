"""``python -m isamm`` runs the CLI."""

from isamm.cli import main

main()
