"""Metrics, rubric and score reports for jointsim sessions."""
