"""results.published_comparison -- every published figure beside the warehouse's value.

Inputs: results.analysis_results, ref.published_results, ref.known_inconsistencies.
Logic: analysis.results.compare_with_published.
"""

from analysis.results import compare_with_published


def model(dbt, session):
    return compare_with_published(
        dbt.ref("analysis_results").pl(),
        dbt.ref("published_results").pl(),
        dbt.ref("known_inconsistencies").pl(),
    )
