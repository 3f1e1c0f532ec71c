"""oisp: see the package documentation."""
