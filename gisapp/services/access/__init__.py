"""Who may do what: accounts, sessions, the audit log, rate limits, integration keys."""
