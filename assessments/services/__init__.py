"""By area: schemes, rollups (with rollup_sql and rollup_totals), review (self-assessment, review, publishing)."""
