"""Statistics for the NCT02917941 warehouse: Kaplan-Meier, exact proportions, SAS-style rounding."""
