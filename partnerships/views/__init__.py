"""Views of the partnerships app, one module per area (directory, agreements, meetings, action_items)."""
