"""The API's operations by area; each reads through the scoped querysets and selectors of its domain app."""
