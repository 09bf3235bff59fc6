"""Start and stop the Streamlit page as a local server, and the headless Debian chromium
that looks at it: shared by the browser tests (tests/test_app_browser.py) and the page
benchmark (benchmarks/bench_page.py), so both measure and test the same server set-up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # tests/support/page_server.py -> repository root
#: Debian's chromium (scripts/install_system_deps.sh); never a downloaded browser.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class ServerError(RuntimeError):
    """The server exited or did not become healthy; the message ends with its log."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    db: Path, log: Path, timeout_s: float = 90, script: str = "streamlit_app.py"
) -> tuple[subprocess.Popen, str]:
    """`streamlit run <script>` (default the app, a path from the repository root) on a free
    local port, reading ``db`` (CTWH_DB); waits until ``/_stcore/health`` answers. Returns the
    process and its URL."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env={**os.environ, "CTWH_DB": str(db)}, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(
                f"streamlit exited with {proc.returncode} (log {log}):\n{log.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise ServerError(
        f"streamlit did not become healthy in {timeout_s} s (log {log}):\n{log.read_text()[-4000:]}"
    )


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server started by :func:`start_server` (and only it)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
