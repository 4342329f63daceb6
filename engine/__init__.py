"""Headless training engine: paired raw-vs-normalized runs that emit events. Never imports textual."""
