"""``python -m telemetry_contracts`` runs the command line."""

from telemetry_contracts.ci.cli import main

main()
