"""validation.adam_checks -- ADaM conformance of adam.adsl, adrs, adtte, adae, adex.

Inputs: the five ADaM datasets; seeds adam_variables and adam_codelists (the ADaM
specification, seeds/adam_spec/) and adam_rules; validation.build_info.
GX suites adam_<dataset> (expectations/suites.py, generated from the seeds) through the pandas
data source: the variables of seed adam_variables present, and the content rules of seed
adam_rules - values present, value lists (the terms of the variable's codelist), ranges,
dates in order, cross-variable equalities.
Keys and links between datasets are dbt tests (models/adam/_adam__models.yml): a failing one
stops this model and everything after it (docs/VALIDATION.md "Each rule checked once").

The datasets are not read into pandas whole: each is reduced in DuckDB, in this session, to
the rows that stand for every distinct value (per site) a rule looks at, with how many rows
each stands for (expectations.checks.adam_frame) - a few thousand rows at 100,000 subjects.

One row per failed check and site: SUITE, CHECK_ID, DATASET, SITEID, USUBJID (first subject),
COLUMN_NAME, MESSAGE, UNEXPECTED_COUNT (offending rows of the dataset), EXAMPLES, BUILD_ID.
Any row blocks publication of new analysis results (validation.publication_gate).
"""

from expectations.checks import as_polars, run_adam_checks
from expectations.gx_location import gx_dir


def model(dbt, session):
    build = dbt.ref("build_info").df()  # (a plain call: dbt finds refs by parsing)
    build_id = str(build["BUILD_ID"].iloc[0])
    datasets = {  # DuckDB relations: nothing is read here
        "adsl": dbt.ref("adsl"),
        "adrs": dbt.ref("adrs"),
        "adtte": dbt.ref("adtte"),
        "adae": dbt.ref("adae"),
        "adex": dbt.ref("adex"),
    }
    variables = dbt.ref("adam_variables").df()
    rules = dbt.ref("adam_rules").df()
    codelists = dbt.ref("adam_codelists").df()

    report = run_adam_checks(
        datasets, variables, rules, run_name=build_id, gx_root=gx_dir(), con=session, codelists=codelists
    )
    report["BUILD_ID"] = build_id
    return as_polars(report)
