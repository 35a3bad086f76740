"""Readers: files (local or fsspec URLs) into Arrow tables."""
