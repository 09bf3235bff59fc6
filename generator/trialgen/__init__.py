"""Synthetic site-extract generator for NCT02917941.

The demo cohort (``trialgen/cohort/*.csv``) was solved once to reproduce the
published final analysis; :mod:`trialgen.render` turns any cohort of that shape
into cumulative nightly site extracts that follow ``spec/site_extracts.md``.
The warehouse never imports this package: it only reads the extracts.
"""
