"""Home panels and page sections contributed by the calendar area."""
