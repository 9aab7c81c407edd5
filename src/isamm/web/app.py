"""Streamlit entry script of ``isamm studio`` (run by ``streamlit run``; see :mod:`isamm.web`).

The pages, in pipeline order, each a ``render()`` function in its own module.
"""

import streamlit as st

from isamm import __version__
from isamm.web import _cohort, _evidence, _exposure, _regimen, _response, _trial, _washout

st.set_page_config(page_title="isamm studio", layout="wide", menu_items={})

PAGES = [
    st.Page(_regimen.render, title="Regimen", default=True),  # served at /
    st.Page(_exposure.render, title="Exposure", url_path="exposure"),
    st.Page(_washout.render, title="Washout", url_path="washout"),
    st.Page(_response.render, title="Response", url_path="response"),
    st.Page(_cohort.render, title="Cohort", url_path="cohort"),
    st.Page(_trial.render, title="Trial", url_path="trial"),
    st.Page(_evidence.render, title="Evidence", url_path="evidence"),
]

page = st.navigation(PAGES)
st.sidebar.caption(f"isamm {__version__} · local only · no authentication")
page.run()
