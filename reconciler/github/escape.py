"""Inert markdown for user content; the implementation lives in :mod:`reconciler.markdown`.

It sits at the package root because the plan renderer (a lower layer than this package)
needs it too; this module keeps the name the architecture gives it for the GitHub layer.
"""

from __future__ import annotations

from reconciler.markdown import code_block, code_fence, escape_html, escape_markdown, inline_code

__all__ = ["code_block", "code_fence", "escape_html", "escape_markdown", "inline_code"]
