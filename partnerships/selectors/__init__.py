"""Composed reads of the partnerships app, one module per area; import each from its module."""
