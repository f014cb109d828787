"""The command center's work: the dashboard, duty and positions, support requests."""
