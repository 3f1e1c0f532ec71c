"""xentara: see the package documentation."""
