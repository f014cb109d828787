"""Benchmarks: geocoding latency in PostGIS and event intake over HTTP, each against an anchor."""
