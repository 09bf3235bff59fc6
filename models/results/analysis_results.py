"""results.analysis_results -- one row per figure of the final analysis (docs/DESIGN.md).

Inputs: adam.adsl, adrs, adtte, adae, adex; ref ae_groupings; ref published_results (only
for the decimals to print). Logic: the table summaries of the `analysis` package
(analysis.results.table_summaries), stacked and printed by
analysis.results.build_analysis_results. DATA_CUTOFF: dbt var data_cutoff, passed as this
model's config in _results__models.yml (Python models cannot call var()).
"""

from analysis.results import build_analysis_results, table_summaries


def model(dbt, session):
    # Publish only after the ADaM checks pass: a failing gate test makes dbt skip this model,
    # so the last good results stay (docs/VALIDATION.md, 'publication gate').
    dbt.ref("publication_gate")
    summaries = table_summaries(
        adsl=dbt.ref("adsl").pl(),
        adrs=dbt.ref("adrs").pl(),
        adtte=dbt.ref("adtte").pl(),
        adae=dbt.ref("adae").pl(),
        adex=dbt.ref("adex").pl(),
        groupings=dbt.ref("ae_groupings").pl(),
    )
    return build_analysis_results(summaries, dbt.ref("published_results").pl(), dbt.config.get("data_cutoff"))
