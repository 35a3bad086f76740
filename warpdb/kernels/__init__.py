"""Vectorized array kernels written against a backend array module ``xp`` (numpy or cupy)."""
