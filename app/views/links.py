"""Links to the subject profile: every listing of subjects on the pages leads there.

The profile page is registered in ``streamlit_app.py`` with ``url_path`` :data:`PROFILE_URL_PATH`
and reads the subject from the query parameter :data:`SUBJECT_PARAM`, so a profile has an
address of its own (``/subject_profile?usubjid=NCT02917941-101-001``) that a table cell, a
plot click or a bookmark can open.
"""

from __future__ import annotations

from urllib.parse import quote

import polars as pl

#: ``url_path`` of the subject-profile page (streamlit_app.py).
PROFILE_URL_PATH = "subject_profile"
#: Script of the subject-profile page (for ``st.switch_page``).
PROFILE_PAGE = "app/pages/subject_profile.py"
#: Query parameter holding the subject's USUBJID.
SUBJECT_PARAM = "usubjid"
#: Column a listing adds for the link (shown as a link column).
PROFILE_COLUMN = "PROFILE"


def profile_url(usubjid: str) -> str:
    """Relative address of one subject's profile (``subject_profile?usubjid=...``)."""
    return f"{PROFILE_URL_PATH}?{SUBJECT_PARAM}={quote(usubjid, safe='')}"


def with_profile_links(frame: pl.DataFrame, column: str = "USUBJID") -> pl.DataFrame:
    """``frame`` with :data:`PROFILE_COLUMN` first: the profile address of each row's subject."""
    if column not in frame.columns:
        return frame
    links = frame[column].map_elements(profile_url, return_dtype=pl.String)
    return frame.insert_column(0, links.alias(PROFILE_COLUMN))
