"""Allow `python -m prodops_sync`."""

from prodops_sync.cli import main

main()
