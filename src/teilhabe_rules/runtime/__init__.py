"""Evaluation: the typed frame a backend returns, and the Python backend."""
