from __future__ import annotations

from mlops_roadmap.cli import main

main()
