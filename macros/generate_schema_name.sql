{# Use the folder's schema name as-is (adam.adsl, not main_adam.adsl), so SQL users
   query stable names whatever the target. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
