"""The Streamlit page of the warehouse.

:mod:`app.data` is the only module that reads the warehouse (SQL and caching),
:mod:`app.views` turns frames into display tables and figures (one module per page),
and :mod:`app.pages` holds the thin page scripts ``streamlit_app.py`` navigates to.
"""
