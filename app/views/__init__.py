"""Pure functions behind the pages: one module per page, shared helpers in :mod:`app.views.common`."""
