-- validation.build_info: one row describing THIS dbt invocation. Compiled when the model runs,
-- so BUILD_ID (dbt invocation_id) and RUN_STARTED_AT are always those of the current build;
-- the validation models stamp their results with it and the publication status compares
-- against it. No inputs.
select
    '{{ invocation_id }}' as BUILD_ID,
    cast('{{ run_started_at }}' as timestamptz) as RUN_STARTED_AT,
    '{{ var("data_cutoff") }}' as DATA_CUTOFF,
    '{{ extract_root() }}' as EXTRACT_ROOT
