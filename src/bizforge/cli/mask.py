"""`bizforge mask` (being written)."""
