"""Presentation: a Plan (data) -> text for a terminal, markdown for a PR, JSON for machines.

Every renderer returns a string that has already gone through ``reconciler.secrets.redact``.
"""

from reconciler.render.json_ import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]
