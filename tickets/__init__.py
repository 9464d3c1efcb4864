"""Hotline tickets: the user questions staff must answer, and when they are due."""
