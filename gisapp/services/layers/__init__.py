"""The GIS layers: features, OGC edits, import, export, vector tiles, camera coverage."""
