"""UI-side state of the dashboard: plain Python, no Textual, no torch."""
