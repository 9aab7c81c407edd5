"""Figures (KM with risk table, forest, ROC, PK profiles, swimmer) and HTML reports."""
