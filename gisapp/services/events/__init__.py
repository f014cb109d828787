"""Events: intake, reading, the life cycle, supervision, duplicates, the reporter's side, photos, live updates,
the category catalogue."""
