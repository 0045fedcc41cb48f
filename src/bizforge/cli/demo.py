"""`bizforge demo` (being written)."""
