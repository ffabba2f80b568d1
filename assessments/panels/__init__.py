"""Home panels and page sections by area (imported by assessments/home.py)."""
