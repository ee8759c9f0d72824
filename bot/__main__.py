"""`python -m bot` is the `disputebot` command."""

from bot.cli import main

raise SystemExit(main())
