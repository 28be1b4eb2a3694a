"""``reconciler emulator`` serves until interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx


def test_command_serves_the_api_and_stops_on_interrupt(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "--port",
            "0",
            "--data",
            str(tmp_path),
            "--admin",
            "--set",
            "static_tokens=true",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Product Ingestion API emulator on http://127.0.0.1:")
        api_url = first.rsplit(" ", 1)[1].strip()
        response = httpx.get(
            api_url + "/product",
            params={"$version": "2022-07-01"},
            headers={"Authorization": "Bearer emulator:publisher"},
        )
        assert response.status_code == 200
        assert (tmp_path / "emulator.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0
