"""Synthetic site-extract generator for NCT02917941.

The demo cohort (``trialgen/cohort/*.csv``) was solved once to reproduce the
published final analysis; :mod:`trialgen.render` turns any cohort of that shape
into cumulative nightly site extracts that follow ``docs/extract-contract.md``.
The warehouse never imports this package: it only reads the extracts. It is a
separate distribution (``generator/pyproject.toml``, ``ixrd-trialgen``) that
``make install`` installs beside the warehouse.
"""
