"""Placeholder: being written (Part IV)."""
