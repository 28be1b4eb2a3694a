"""The plan's outputs as ``comment-plan`` reads them: only what this run's plan wrote.

A pull request decides what its checkout holds, and can make ``plan`` fail. So the plan
writes ``plan.md`` and ``plan.json`` outside the checkout (the runner's temporary folder),
and ``plan.md`` ends with a trailer binding it to the run and to the saved plan's checksum
(or saying the plan failed, with its error)::

    <!-- reconciler:plan-output run=<run id>.<attempt> checksum=<sha256:...|failed> -->

``comment-plan`` posts a body only when every check holds: both files lie outside the
checkout (and inside ``RUNNER_TEMP`` in Actions), neither is reached through a symbolic
link, the trailer names this run, and the saved plan (its own checksum verified) carries
the trailer's checksum. Anything else is :class:`NotThisRunsPlan`: the comment then says
the plan failed and never shows a file of the pull request. Offer text cannot forge the
trailer: the renderers break every ``<!--`` and ``reconciler:`` in it.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import OfferFilesInvalid, ReconcilerError
from reconciler.markdown import code_block, visible
from reconciler.secrets import redact

MAX_BYTES = 16 * 1024 * 1024
FAILED = "failed"
_TRAILER = re.compile(r"^<!-- reconciler:plan-output run=(\S*) checksum=(\S+) -->$")
_MAX_PROBLEMS = 50


class NotThisRunsPlan(ReconcilerError):
    """The files given are not outputs of this run's plan (or cannot be read safely)."""


@dataclass(frozen=True)
class PlanOutputs:
    body: str  # the markdown without its trailer
    plan: Mapping[str, object] | None  # the saved plan (or summary) when the plan succeeded
    failed: bool


def run_id(env: Mapping[str, str] | None = None) -> str:
    values = os.environ if env is None else env
    run = values.get("GITHUB_RUN_ID", "")
    return f"{run}.{values.get('GITHUB_RUN_ATTEMPT', '1')}" if run else ""


def bind(markdown: str, checksum: str, env: Mapping[str, str] | None = None) -> str:
    """*markdown* with the trailer of this run and *checksum* (``failed``: no plan)."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    return f"{text}<!-- reconciler:plan-output run={run_id(env)} checksum={checksum} -->\n"


def failure_markdown(error: ReconcilerError, env: Mapping[str, str] | None = None) -> str:
    """What a failed plan writes to ``--markdown-out``: the error, shown as text."""
    lines = [error.message]
    if isinstance(error, OfferFilesInvalid):
        lines += [str(p) for p in error.problems]
        if len(lines) > _MAX_PROBLEMS + 1:
            lines = [*lines[: _MAX_PROBLEMS + 1], f"... {len(lines) - _MAX_PROBLEMS - 1} more"]
    text = "\n".join(visible(redact(line)) for line in lines)
    body = "## ❌ Offers plan failed\n\nNo plan was made:\n\n" + code_block(text) + "\n"
    return bind(body, FAILED, env)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _where(path: Path) -> Path:
    # The folder resolved (links in it included), the name itself never followed.
    return path.absolute().parent.resolve() / path.name


def read_output(path: Path, *, checkout: Path | None, temp: Path | None) -> str:
    """The text of one plan output, refused unless it is a regular file outside the checkout
    (inside *temp* when given), opened without following a link."""
    where = _where(path)
    if checkout is not None and _inside(where, checkout.resolve()):
        raise NotThisRunsPlan(f"{path} is inside the checkout, where the pull request writes")
    if temp is not None and not _inside(where, temp.resolve()):
        raise NotThisRunsPlan(f"{path} is not in the runner's temporary folder")
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise NotThisRunsPlan(f"{path} was not written") from None
    except OSError as exc:
        raise NotThisRunsPlan(f"{path}: cannot read ({exc.strerror}; a link?)") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            raise NotThisRunsPlan(f"{path} is not a plan output (not a regular file, or too large)")
        data = handle.read(MAX_BYTES + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotThisRunsPlan(f"{path} is not UTF-8 text") from None


def read_plan_outputs(
    body_file: Path,
    summary_json: Path | None,
    *,
    checkout: Path | None,
    temp: Path | None,
    env: Mapping[str, str] | None = None,
) -> PlanOutputs:
    """This run's plan outputs, or :class:`NotThisRunsPlan` saying why not."""
    text = read_output(body_file, checkout=checkout, temp=temp)
    lines = text.rstrip("\n").split("\n")
    match = _TRAILER.match(lines[-1]) if lines else None
    if match is None:
        raise NotThisRunsPlan(f"{body_file} was not written by reconciler plan")
    if match.group(1) != run_id(env):
        raise NotThisRunsPlan(f"{body_file} was written by another run")
    body = "\n".join(lines[:-1]) + "\n"
    checksum = match.group(2)
    if checksum == FAILED:
        return PlanOutputs(body, None, failed=True)
    if summary_json is None:
        return PlanOutputs(body, None, failed=False)
    raw = read_output(summary_json, checkout=checkout, temp=temp)
    try:
        data = json.loads(raw)
    except ValueError:
        raise NotThisRunsPlan(f"{summary_json} is not JSON") from None
    if not isinstance(data, dict) or data.get("checksum") != checksum:
        raise NotThisRunsPlan(f"{summary_json} is not the plan {body_file} shows")
    if "changes" in data:
        from reconciler.plan.plan import Plan

        try:
            Plan.from_data(data)  # its own checksum, over its changes
        except ReconcilerError as exc:
            raise NotThisRunsPlan(f"{summary_json}: {exc.message}") from None
    return PlanOutputs(body, data, failed=False)
