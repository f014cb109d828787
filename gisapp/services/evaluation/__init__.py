"""Evaluation (clause 8): figures, exports, reports, scorecards, hot spots."""
