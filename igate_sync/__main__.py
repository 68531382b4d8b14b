"""``python -m igate_sync``."""

from igate_sync.cli import main

main()
