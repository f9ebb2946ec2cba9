"""mlops-roadmap: a course runner for a 24-week MLOps Engineer roadmap."""

from __future__ import annotations

__version__ = "0.1.0"
