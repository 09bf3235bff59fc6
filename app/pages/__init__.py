"""Thin Streamlit pages; ``streamlit_app.py`` lists them with ``st.navigation``."""
