"""Page frame shared by every page: title, warehouse check, build instructions, notices.

Not a page itself (``streamlit_app.py`` does not list it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import streamlit as st

from app import data
from app.views import common


def show_not_built(exc: data.WarehouseNotBuilt) -> None:
    """Say that the warehouse is not built (or incomplete) and how to build it."""
    if exc.missing:
        st.warning(
            f"The warehouse at `{exc.path}` is not completely built: this page needs "
            + ", ".join(f"`{t}`" for t in exc.missing)
            + "."
        )
    else:
        st.warning(f"The warehouse has not been built yet: `{exc.path}` does not exist.")
    st.markdown(data.BUILD_INSTRUCTIONS)
    st.code("make build        # or: dbt build", language="bash")


def show_unreadable(exc: data.WarehouseUnreadable) -> None:
    """Say that the file is there but cannot be read (not a DuckDB database, ...), and what to do."""
    st.error(f"The warehouse file `{exc.path}` cannot be opened: {exc.cause}.")
    if exc.hint:
        st.markdown(f"What to do: {exc.hint}.")
    st.markdown(data.BUILD_INSTRUCTIONS)


def show_busy() -> None:
    """Say that a build holds the file and nothing earlier can be shown."""
    st.info(
        f"The warehouse `{data.db_path()}` is being rebuilt right now (`dbt build` holds the "
        "file). Reload the page in a minute."
    )


def stale_banner(status: data.WarehouseStatus) -> None:
    """Warn when the build on show is not the latest build (:func:`app.data.publication_status`);
    say so when a build is running (the page keeps showing the published build meanwhile)."""
    if status.has(data.PUBLICATION):
        frame = data.publication_status()
        stale = common.stale_rows(frame)
        if stale.height:
            st.warning(common.stale_message(stale))
        running = common.running_message(frame)
        if running:
            st.info(running)


@contextmanager
def page(
    title: str, required: Sequence[str] = (), shows_results: bool = True
) -> Iterator[data.WarehouseStatus]:
    """Frame of a page: title, the tables it needs, and graceful messages.

    Yields the warehouse status when every required table exists; otherwise shows the
    build instructions and stops the page. A query that fails later because the
    warehouse disappeared or is locked also ends in a message, never a traceback.
    Pages that show analysis results get a warning when the results are stale.
    """
    data.reset_previous_build_flag()
    st.title(title)
    try:
        status = data.require(*required)
    except data.WarehouseNotBuilt as exc:
        show_not_built(exc)
        st.stop()
    except data.WarehouseUnreadable as exc:
        show_unreadable(exc)
        st.stop()
    except data.WarehouseBusy:
        show_busy()
        st.stop()
    try:
        if shows_results:
            stale_banner(status)
        yield status
    except data.WarehouseNotBuilt as exc:
        show_not_built(exc)
    except data.WarehouseUnreadable as exc:
        show_unreadable(exc)
    except data.WarehouseBusy:
        show_busy()
    if data.served_previous_build():
        st.info("A `dbt build` is writing the warehouse right now: this page shows the previous build.")
    st.caption(f"Warehouse: `{data.db_path()}` (opened read-only per query)")
