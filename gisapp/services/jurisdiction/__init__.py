"""The county's jurisdiction: areas, grid edits and their re-assignment, adjacency, geocoding, the work calendar."""
