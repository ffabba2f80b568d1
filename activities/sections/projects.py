"""Home panels and page sections contributed by the projects area."""
