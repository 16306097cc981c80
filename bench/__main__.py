"""`python -m bench [--quick] [--db sqlite|postgresql]`: the whole performance table."""

from __future__ import annotations

from bench.run import main

raise SystemExit(main())
