"""Home panels and page sections contributed by the plans area."""
