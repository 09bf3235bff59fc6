"""Opening the warehouse's DuckDB file: wait only for a lock, say anything else in one line.

DuckDB raises the same ``IOException`` for very different reasons when it opens a file:
another process holds a conflicting lock (a page query holds a read lock for a moment, a
running ``dbt build`` the write lock), the file system is read-only, permission is denied,
or the file is not a DuckDB database at all (an empty file, a text file). Only a lock goes
away by waiting. dbt-duckdb's ``retries: connect_attempts`` retried every ``IOException``
(1 + 2 + 4 + 8 + 16 s per open, and dbt opens the file again and again): a file on a
read-only file system took 559 s to fail, with a traceback.

- :func:`open_problem` turns DuckDB's error into ``(cause, what to do)``; the page
  (``app.data``) and dbt both use it.
- :func:`connect` opens the file, retrying a lock conflict with a bounded back-off
  (:data:`LOCK_ATTEMPTS`, :data:`LOCK_BACKOFF_S`) and raising :class:`WarehouseOpenError`
  at once for anything else.
- ``Plugin`` (loaded by dbt-duckdb from ``profiles.yml``, ``plugins: - module:
  warehouse_file``): before dbt-duckdb opens the file it is opened here with
  :func:`connect`, and kept open until dbt-duckdb's own connection exists - DuckDB hands
  that connection the instance already open in this process, so no other process can take
  the file in between. A failure is one line naming the file and the cause. The class is
  created on first access (``__getattr__``), so the page does not import dbt.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

#: Opens tried when another process holds a conflicting lock, and the first wait (doubles):
#: at most 0.25 + 0.5 + 1 + 2 + 4 = 7.75 s of waiting (a page query holds its read lock for
#: well under a second; a build holds the write lock for minutes: that is reported).
LOCK_ATTEMPTS = 6
LOCK_BACKOFF_S = 0.25

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


class WarehouseOpenError(RuntimeError):
    """The DuckDB file cannot be opened; ``str()`` is one line: file, cause, what to do."""

    def __init__(
        self,
        path: str | Path,
        cause: str,
        hint: str = "",
        *,
        writing: bool = False,
        lock_conflict: bool = False,
    ):
        self.path = str(path)
        self.cause = cause
        self.hint = hint
        self.lock_conflict = lock_conflict
        mode = " for writing" if writing else ""
        super().__init__(
            f"cannot open the warehouse {self.path}{mode}: {cause}" + (f"; {hint}" if hint else "")
        )


def is_lock_conflict(exc: BaseException) -> bool:
    """Did DuckDB refuse the file because another process holds a conflicting lock?"""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and (
        "could not set lock on file" in text or "conflicting lock is held" in text
    )


def open_problem(path: str | Path, exc: BaseException) -> tuple[str, str]:
    """``(cause, what to do)`` of a failed ``duckdb.connect`` of ``path``, each one line."""
    text = str(exc)
    low = text.lower()
    if is_lock_conflict(exc):
        holder = _LOCK_HOLDER.search(text)
        who = f" ({holder['program']}, PID {holder['pid']})" if holder else ""
        return (
            f"another process holds a conflicting lock on it{who}",
            "wait until it has finished (a running dbt build?) and try again",
        )
    if "read-only file system" in low:
        return (
            "the file system is read-only",
            "build on a writable file system (set CTWH_DB to a writable path)",
        )
    if "permission denied" in low:
        return (
            "permission denied",
            "give this user access to the file and its folder, or set CTWH_DB to another path",
        )
    if "not a valid duckdb database" in low:
        try:
            empty = Path(path).stat().st_size == 0
        except OSError:
            empty = False
        what = (
            "the file is empty (0 bytes), not a DuckDB database"
            if empty
            else "the file is not a DuckDB database"
        )
        return (
            what,
            "remove or move it, then build the warehouse there (make build), "
            "or set CTWH_DB to the warehouse's DuckDB file",
        )
    if "no such file or directory" in low:
        return ("its folder does not exist", "create the folder or set CTWH_DB to another path")
    return (text.strip().splitlines()[0] if text.strip() else type(exc).__name__, "")


def connect(
    path: str | Path,
    *,
    read_only: bool,
    config: dict[str, Any] | None = None,
    attempts: int = LOCK_ATTEMPTS,
    backoff_s: float = LOCK_BACKOFF_S,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried (bounded) only while another process holds a conflicting
    lock; any other failure raises :class:`WarehouseOpenError` at once. ``on_wait`` is told
    (one line) before each wait."""
    delay = backoff_s
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(config or {}))
        except duckdb.Error as exc:
            lock = is_lock_conflict(exc)
            if lock and attempt < attempts - 1:
                if on_wait is not None:
                    on_wait(
                        f"{path}: {open_problem(path, exc)[0]}; waiting {delay:g} s "
                        f"(attempt {attempt + 1} of {attempts})"
                    )
                time.sleep(delay)
                delay *= 2
                continue
            cause, hint = open_problem(path, exc)
            if lock:
                cause += f" (still after {attempts} attempts)"
            raise WarehouseOpenError(path, cause, hint, writing=not read_only, lock_conflict=lock) from None
    raise AssertionError("unreachable")


def _make_plugin():
    from dbt.adapters.duckdb.plugins import BasePlugin
    from dbt.adapters.events.logging import AdapterLogger
    from dbt_common.exceptions import DbtRuntimeError

    logger = AdapterLogger("DuckDB")

    class Plugin(BasePlugin):
        """dbt-duckdb plugin: opens the file with :func:`connect` before dbt-duckdb does."""

        _held: duckdb.DuckDBPyConnection | None = None

        def update_connection_config(self, creds, config: dict[str, Any]) -> None:
            path = str(creds.path)
            if path == ":memory:" or path.startswith("md:"):
                return
            self._release()
            try:
                self._held = connect(path, read_only=False, config=config, on_wait=logger.info)
            except WarehouseOpenError as exc:
                raise DbtRuntimeError(str(exc)) from None

        def configure_connection(self, conn) -> None:
            # dbt-duckdb's connection shares the instance opened above: let ours go
            self._release()

        def _release(self) -> None:
            if self._held is not None:
                self._held.close()
                self._held = None

    return Plugin


def __getattr__(name: str):
    if name == "Plugin":
        plugin = _make_plugin()
        globals()["Plugin"] = plugin
        return plugin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
