"""globiots: see the package documentation."""
