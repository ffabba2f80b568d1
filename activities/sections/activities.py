"""Home panels and page sections contributed by the activities area."""
