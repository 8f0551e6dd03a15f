"""Command-line interface: thin wrappers over the Python API (no logic a Python user cannot call)."""
