"""By area: plans, activities, calendar, projects (zones, posts, teams)."""
