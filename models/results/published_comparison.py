"""results.published_comparison -- every published figure beside the warehouse's value.

Inputs: results.ard (the analysis-results dataset, joined on TABLE_ID, ITEM, STAT_NAME),
ref.published_results, ref.known_inconsistencies. Logic: analysis.results.compare_with_published.
"""

from analysis.results import compare_with_published


def model(dbt, session):
    ard = dbt.ref("ard").pl().select("TABLE_ID", "ITEM", STAT="STAT_NAME", VALUE="STAT")
    return compare_with_published(
        ard,
        dbt.ref("published_results").pl(),
        dbt.ref("known_inconsistencies").pl(),
    )
