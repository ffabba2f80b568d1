"""Dashboard panels (placeholder)."""
