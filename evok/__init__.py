"""evok: see the package documentation."""
