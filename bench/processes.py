"""The processes the orchestrator talks to: the emulator, and the worker server that forks
one worker per scenario (:mod:`bench.server`, :mod:`bench.worker`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from bench.scenarios import Spec
from reconciler.emulator.admin import EmulatorAdmin

REPO = Path(__file__).resolve().parents[1]


class EmulatorProcess:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env=_env(),
            text=True,
        )
        stdout: IO[str] | None = self.proc.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            self.close()
            raise RuntimeError("the emulator process did not start")
        info = json.loads(line)
        self.base_url: str = info["base_url"]
        self.api_url: str = info["api_url"]
        self.admin_token: str = info.get("admin_token") or ""
        self.admin = EmulatorAdmin(self.base_url, token=self.admin_token)

    def close(self) -> None:
        if getattr(self, "admin", None) is not None:
            self.admin.close()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


class Workers:
    """The worker server (:mod:`bench.worker`): one child process per scenario, forked from
    a process that has done the imports once."""

    def __init__(self) -> None:
        # Kept open for the server's life (its stderr), closed in close().
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=REPO,
            env=_env(),
            text=True,
        )

    def run(self, spec: Spec) -> dict[str, Any]:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(asdict(spec)) + "\n")
            stdin.flush()
            line = stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self.log.seek(0)
            tail = "\n".join(self.log.read().strip().splitlines()[-15:])
            raise RuntimeError(f"{spec.scenario}/{spec.way}: the worker server died:\n{tail}")
        result: dict[str, Any] = json.loads(line)
        if "error" in result:
            tail = "\n".join(str(result["error"]).strip().splitlines()[-15:])
            raise RuntimeError(f"{spec.scenario}/{spec.way} failed:\n{tail}")
        return result

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
