"""results.ard -- the analysis-results dataset: one row per statistic (docs/DESIGN.md
"Analysis-results dataset (ARD)").

Inputs: results.analysis_results, results.km_curves, results.km_at_risk; seeds ard_statistics
and ard_methods (labels, context and method of each statistic, as data).
Logic: analysis.ard.build_ard (no statistic is recomputed here; Table 7 percentages and the
Figure 1 rows are added there).
"""

from analysis.ard import build_ard


def model(dbt, session):
    return build_ard(
        dbt.ref("analysis_results").pl(),
        dbt.ref("km_curves").pl(),
        dbt.ref("km_at_risk").pl(),
        dbt.ref("ard_statistics").pl(),
        dbt.ref("ard_methods").pl(),
    )
