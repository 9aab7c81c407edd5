"""Evidence page: the published evidence base, and two trials side by side (as ``isamm evidence list`` and
``isamm evidence compare``).

Library calls: :func:`isamm.trials.evidence.list_evidence`, :func:`isamm.trials.evidence.compare`; the
side-by-side rows are the CLI's own (:func:`isamm.trials.side_cells`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from isamm.trials import side_cells
from isamm.trials import evidence as ev
from isamm.web._common import json_bytes, plain, show_table, user_errors

__all__ = ["render"]


def render() -> None:
    """The Evidence page."""
    st.title("Evidence base")
    st.caption("Every published trial isamm knows, with the role of its numbers (calibration, validation, "
               "reference), and two trials side by side (as `isamm evidence compare`).")
    with user_errors():
        trials = ev.list_evidence()
        listing = pd.DataFrame([{**t, "arms": " vs ".join(t["arms"]), "n": " vs ".join(str(n) for n in t["n"]),
                                 "roles": ", ".join(t["roles"])} for t in trials])  # fmt: skip
        show_table(listing[["id", "drug", "setting", "design", "arms", "n", "roles", "source"]], key="evidence-list")
        ids = [t["id"] for t in trials]
        c1, c2 = st.columns(2)
        a = c1.selectbox("First trial", ids, index=ids.index("ICARIA-MM") if "ICARIA-MM" in ids else 0, key="evidence-a")
        b = c2.selectbox("Second trial", ids, index=ids.index("IKEMA") if "IKEMA" in ids else 1, key="evidence-b")
        result = ev.compare(a, b)
    left, right = (side_cells(s) for s in result["trials"])
    show_table(pd.DataFrame({"": list(left), a: list(left.values()), b: list(right.values())}), key="evidence-compare")
    st.caption(plain(f"Caveat: {result['caveat']}"))
    st.download_button("Download the comparison (JSON)", json_bytes(result), f"{a}_vs_{b}.json", "application/json",
                       on_click="ignore")
