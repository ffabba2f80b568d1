"""Every write of the partnerships app, one module per area: import each function from its area module."""
