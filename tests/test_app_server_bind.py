"""The page serves patient-level data: a plain ``streamlit run streamlit_app.py`` (no
Makefile, no ``--server.address``) must listen on 127.0.0.1 only, from
``.streamlit/config.toml``; an explicit ``--server.address`` still overrides it.

The real server is started as a user would start it, and the kernel's table of listening
TCP sockets (``/proc/net/tcp``, ``/proc/net/tcp6``) says where it listens.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.page_server import free_port, stop_server

REPO = Path(__file__).resolve().parents[1]
LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port`` (IPv4 and IPv6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
            # the kernel prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, width // 2, 4))
            found.add(str(ipaddress.ip_address(raw)))
    return found


def outward_address() -> str | None:
    """This machine's non-loopback IPv4 address, if it has a route out (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback else address


def start_plain(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    """``streamlit run streamlit_app.py --server.port <free>`` plus ``extra``, from the repo
    root (where .streamlit/config.toml is read); waits until the health check answers."""
    port = free_port()
    log = tmp_path / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        *extra,
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "CTWH_DB": str(tmp_path / "none.duckdb")},
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc, port
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise AssertionError(f"streamlit did not answer in 90 s:\n{log.read_text()}")


def test_plain_streamlit_run_listens_on_loopback_only(tmp_path):
    proc, port = start_plain(tmp_path)
    try:
        assert listening_addresses(port) == {"127.0.0.1"}
        outward = outward_address()
        if outward:
            with pytest.raises(OSError):
                socket.create_connection((outward, port), timeout=2).close()
    finally:
        stop_server(proc)


def test_explicit_server_address_still_overrides(tmp_path):
    proc, port = start_plain(tmp_path, "--server.address", "0.0.0.0")
    try:
        assert listening_addresses(port) == {"0.0.0.0"}
    finally:
        stop_server(proc)
