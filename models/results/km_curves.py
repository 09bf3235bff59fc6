"""results.km_curves -- Kaplan-Meier step data of PFS, OS, TTP and DOR (Figure 1 and the page).

Inputs: adam.adtte, adam.adsl. Logic: analysis.results.km_curves (analysis.km underneath).
"""
from analysis.results import km_curves


def model(dbt, session):
    dbt.config(materialized="table", schema="results")
    return km_curves(dbt.ref("adtte").pl(), dbt.ref("adsl").pl())
