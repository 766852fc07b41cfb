"""Review projects, membership roles, the audit trail and background jobs."""
