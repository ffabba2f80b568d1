"""Models arrive with their issue; the app is installed so the layout and migrations are in place."""
