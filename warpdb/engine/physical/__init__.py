"""Physical operators: one module per operator family, all written against the backend array module."""
