"""``python -m gridshift`` runs the CLI."""

from gridshift.cli import main

main()
