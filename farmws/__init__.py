"""farmws: see the package documentation."""
