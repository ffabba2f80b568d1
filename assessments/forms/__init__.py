"""Forms by area."""
