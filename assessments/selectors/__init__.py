"""By area: dashboard (ranking, charts, plan_heat, dashboard_export, subjects, quarters), rollups, evidence, review, schemes."""
