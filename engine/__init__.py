"""Headless training engine: paired raw-vs-normalized runs emitting events; no textual here."""
