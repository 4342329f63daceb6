"""The Textual dashboard and the click CLI."""
