"""The page floor of the benchmark (benchmarks/bench_page.py): the least any page of the app
costs in the browser - Streamlit's front end with a title, one metric card and a two-row
table, or (``?chart=1``) a three-point Plotly chart instead of the table. It reads no data, so
its render time is Streamlit and the browser alone; the pages' warm renders are quoted as
ratios to it (benchmarks/README.md)."""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Page floor", layout="wide")  # as streamlit_app.py
st.title("Page floor")
st.metric("Subjects", 1)
if st.query_params.get("chart"):
    st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1.0, 0.8, 0.6])))
else:
    st.table({"value": [1, 2]})
