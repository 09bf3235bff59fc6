{# The record of every `dbt build` / `dbt run` in the WORK file (validation.build_attempts), for
   all-or-nothing publication (docs/VALIDATION.md "Publication"). Hooks in dbt_project.yml:

     on-run-start  publication_attempt_start()   one row for this invocation, written before
                   any node runs: PUBLISHED false and the REASON a build that never reaches its
                   end leaves behind ("did not finish"): a build killed with -9 runs no hook, so
                   its row already says the truth.
     on-run-end    publication_attempt_end(results)   (dbt runs it after failures too) sets
                   FINISHED_AT, PUBLISHED (validation.publish succeeded), PUBLISHED_AT and the
                   REASON naming the step that kept this build from being published.

   SELECTED_ALL: every model, seed, snapshot and data test of the project is selected (unit
   tests are not nodes of the graph); validation.publish refuses to publish anything else, so a
   partial selection can never put a mix of builds on show.

   Other commands (test, seed, compile, ...) are not builds and are not recorded. #}

{% macro publication_attempts_table() -%}
    create schema if not exists validation;
    create table if not exists validation.build_attempts (
        BUILD_ID varchar primary key,
        COMMAND varchar,
        STARTED_AT timestamptz,
        DATA_CUTOFF varchar,
        EXTRACT_ROOT varchar,
        SELECTED_ALL boolean,
        N_NOT_SELECTED integer,
        FINISHED_AT timestamptz,
        PUBLISHED boolean,
        PUBLISHED_AT timestamptz,
        REASON varchar
    );
    -- (a work file made before the column existed)
    alter table validation.build_attempts add column if not exists PUBLISHED_AT timestamptz;
{%- endmacro %}


{% macro publication_attempt_start() -%}
{%- if execute and flags.WHICH in ('build', 'run') -%}
    {%- set ns = namespace(not_selected=0) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type in ('model', 'seed', 'snapshot', 'test')
              and node.unique_id not in selected_resources -%}
            {%- set ns.not_selected = ns.not_selected + 1 -%}
        {%- endif -%}
    {%- endfor -%}
    {{ publication_attempts_table() }}
    insert into validation.build_attempts
        (BUILD_ID, COMMAND, STARTED_AT, DATA_CUTOFF, EXTRACT_ROOT, SELECTED_ALL, N_NOT_SELECTED,
         FINISHED_AT, PUBLISHED, REASON)
    values (
        '{{ invocation_id }}', '{{ flags.WHICH }}', cast('{{ run_started_at }}' as timestamptz),
        '{{ var("data_cutoff") }}', '{{ extract_root() | replace("'", "''") }}',
        {{ ns.not_selected == 0 }}, {{ ns.not_selected }}, null, false,
        'new results not published: the latest build ({{ invocation_id }}, started {{ run_started_at.strftime("%Y-%m-%d %H:%M:%S UTC") }}) did not finish (stopped or killed before publishing)'
    )
{%- endif -%}
{%- endmacro %}


{# The nodes validation.publish depends on, transitively: a failure among them is what kept
   this build from publishing (a failing test on another node, e.g. the exit-status test on
   the leaf delivery_status, does not stop publication and is not named). #}
{% macro publication_ancestors(publish_id) -%}
    {%- set ns = namespace(frontier=[publish_id]) -%}
    {%- set seen = {} -%}
    {%- for _ in range(1000) if ns.frontier -%}
        {%- set next = [] -%}
        {%- for uid in ns.frontier -%}
            {%- set node = graph.nodes.get(uid) -%}
            {%- for parent in (node.depends_on.nodes if node else []) if parent not in seen -%}
                {%- do seen.update({parent: true}) -%}
                {%- do next.append(parent) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set ns.frontier = next -%}
    {%- endfor -%}
    {{- return(seen) -}}
{%- endmacro %}


{# A node's message in one line: dbt's first line ("Runtime Error in model x (path)") and the
   last one, which for a Python or SQL error is the error itself. #}
{% macro publication_message(message) -%}
    {%- set lines = (message | string).strip().split('\n') | map('trim') | reject('equalto', '') | list -%}
    {%- set text = lines[0] ~ ((': ' ~ lines[-1]) if lines | length > 1 else '') if lines else '' -%}
    {{- return(text[:400]) -}}
{%- endmacro %}


{% macro publication_attempt_end(results) -%}
{%- if execute and flags.WHICH in ('build', 'run') -%}
    {%- set publish_id = 'model.' ~ project_name ~ '.publish' -%}
    {%- set ancestors = publication_ancestors(publish_id) -%}
    {%- set ns = namespace(publish=none, gate_failed=false) -%}
    {%- set blocking = [] -%}
    {%- for r in results -%}
        {%- set uid = r.node.unique_id -%}
        {%- if uid == publish_id -%}
            {%- set ns.publish = r -%}
        {%- elif r.status in ('error', 'fail') -%}
            {%- set parents = r.node.depends_on.nodes if r.node.resource_type == 'test' else [uid] -%}
            {%- if parents | select('in', ancestors) | list -%}
                {%- if r.node.resource_type == 'test' and r.node.name == 'publication_gate_adam_checks_pass' -%}
                    {%- set ns.gate_failed = true -%}
                {%- endif -%}
                {%- set what = ('test ' ~ r.node.name) if r.node.resource_type == 'test'
                               else (r.node.resource_type ~ ' ' ~ r.node.schema ~ '.' ~ r.node.alias) -%}
                {%- set message = publication_message(r.message or r.status) -%}
                {%- do blocking.append(what ~ ' ' ~ ('failed' if r.status == 'fail' else 'errored') ~ ': ' ~ message) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set published = ns.publish is not none and ns.publish.status == 'success' -%}
    {%- if published -%}
        {%- set reason = none -%}
    {%- elif ns.gate_failed -%}
        {#- the gate's own reason: how many ADaM checks failed and the first message -#}
        {%- set gate = run_query("select REASON from validation.publication_gate where BUILD_ID = '" ~ invocation_id ~ "'") -%}
        {%- set reason = gate.rows[0][0] if gate.rows and gate.rows[0][0] else 'new results not published: the ADaM checks failed (validation.publication_gate)' -%}
    {%- elif blocking -%}
        {%- set reason = 'new results not published: ' ~ blocking[0]
                         ~ ((' (and ' ~ (blocking | length - 1) ~ ' more failed node(s))') if blocking | length > 1 else '') -%}
    {%- elif ns.publish is not none and ns.publish.status == 'error' -%}
        {%- set reason = 'new results not published: the publication step (validation.publish) failed: '
                         ~ publication_message(ns.publish.message or 'error') -%}
    {%- elif ns.publish is none -%}
        {%- set reason = 'new results not published: the publication step (validation.publish) was not selected ('
                         ~ 'dbt ' ~ flags.WHICH ~ ' of a part of the project)' -%}
    {%- else -%}
        {%- set reason = 'new results not published: the publication step (validation.publish) was ' ~ ns.publish.status -%}
    {%- endif -%}
    {{ publication_attempts_table() }}
    update validation.build_attempts
    set FINISHED_AT = now(),
        PUBLISHED = {{ published }},
        PUBLISHED_AT = {{ "(select max(PUBLISHED_AT) from validation.publish where BUILD_ID = '" ~ invocation_id ~ "')" if published else "null" }},
        REASON = {{ "null" if reason is none else "'" ~ (reason | replace("'", "''")) ~ "'" }}
    where BUILD_ID = '{{ invocation_id }}'
{%- endif -%}
{%- endmacro %}
