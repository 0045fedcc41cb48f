"""`bizforge inspect` (being written)."""
