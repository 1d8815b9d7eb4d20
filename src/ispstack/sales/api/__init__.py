"""The sales REST API."""
