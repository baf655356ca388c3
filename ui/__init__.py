"""The Streamlit wizard (a thin face over core)."""
