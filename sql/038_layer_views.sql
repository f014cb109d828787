-- The map layers as read (issue 12): one view per layer, named in its layers/*.toml (`[source] view`), with
-- the geometry `geom`, every property the layer serves as a column of the same name, and for the edited
-- layers `updated_at` (the OGC `datetime`) and `feature_version` (the ETag). The services read layers only
-- through these views (GeoJSON, OGC API, tiles, export), so what a layer shows is stated here once.
-- Simple views: PostgreSQL folds them into each query, so filters on geom still use the tables' GiST indexes
-- and columns a query does not read (a grid's team) are not computed.

CREATE VIEW layer_townships AS
SELECT t.code, t.name, t.county_code, t.geom, t.geom_z9, t.geom_z12
FROM townships t;

CREATE VIEW layer_communities AS
SELECT t.code, t.name, t.township_code, p.name AS township_name, t.geom, t.geom_z9, t.geom_z12
FROM communities t JOIN townships p ON p.code = t.township_code;

-- a grid's version is its community's layout version: a grid changes only together with its neighbours
CREATE VIEW layer_grids AS
SELECT t.code, t.name, t.community_code, c.name AS community_name, c.township_code,
       CASE WHEN tm.code IS NULL THEN NULL ELSE json_build_object(
           'code', tm.code, 'name', tm.name,
           'members', (SELECT count(*) FROM members m WHERE m.team_code = tm.code),
           'on_duty', (SELECT count(*) FROM members m WHERE m.team_code = tm.code
                       AND m.duty_status IN ('on_duty', 'on_patrol'))) END AS team,
       t.geom, t.updated_at, t.community_code || '-' || c.layout_version AS feature_version
FROM grids t JOIN communities c ON c.code = t.community_code
LEFT JOIN teams tm ON tm.grid_code = t.code;

CREATE VIEW layer_key_roads AS
SELECT t.code, t.name, t.road_class, round(ST_Length(t.geom::geography)::numeric, 1) AS length_m,
       t.geom, t.updated_at, t.code || '-' || t.version AS feature_version
FROM key_roads t;

CREATE VIEW layer_key_locations AS
SELECT t.code, t.name, t.kind, t.risk_level, t.geom, t.updated_at, t.code || '-' || t.version AS feature_version
FROM key_locations t;

CREATE VIEW layer_cameras AS
SELECT t.device_id, t.name, t.azimuth_deg, t.fov_deg, t.range_m, t.online, t.geom, t.updated_at,
       t.device_id || '-' || t.version AS feature_version
FROM cameras t;

-- the stretches of key roads no online camera sees (clause 7.1.3.2), kept by triggers (sql/027)
CREATE VIEW layer_coverage_gaps AS
SELECT r.code, r.name, round(ST_Length(k.gaps::geography)::numeric, 1) AS gap_m, k.gaps AS geom
FROM key_roads r JOIN key_road_coverage k ON k.road_code = r.code;
