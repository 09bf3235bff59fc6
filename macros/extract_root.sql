{# Root folder of the site deliveries (one sub-folder per nightly transfer).
   Set by the environment variable CTWH_EXTRACT_ROOT; default: the rendered demo delivery. #}
{% macro extract_root() -%}
    {{- env_var('CTWH_EXTRACT_ROOT', 'build/extracts/demo').rstrip('/') -}}
{%- endmacro %}
