"""Week 15 fixtures: the workflows GitHub would run for this week, read once by the shared
plugin (``found``: those in .github/workflows/ at the workspace root that name the week
folder in their `paths:` filters or `working-directory`)."""

from __future__ import annotations

pytest_plugins = ["mlops_checks.workflow_fixtures"]
