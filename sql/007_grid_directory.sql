-- The grid directory: each grid with everything intake needs about it (names of its parents,
-- its team, its two command centers) in one row beside its geometry, so geocoding is a single
-- GiST-indexed covers test on one table: the same work as the bare query, plus a sort of the
-- one or two covering rows (shared-edge rule: the lowest code wins).
--
-- It is derived data: whoever changes areas, teams or centers calls refresh_grid_directory()
-- in the same transaction (the jurisdiction loader does).

CREATE MATERIALIZED VIEW grid_directory AS
SELECT g.code AS grid_code, g.name AS grid_name,
       c.code AS community_code, c.name AS community_name,
       t.code AS township_code, t.name AS township_name,
       k.code AS county_code, k.name AS county_name,
       tm.code AS team_code, tm.name AS team_name,
       sc.code AS sub_center_code, sc.name AS sub_center_name,
       cc.code AS county_center_code, cc.name AS county_center_name,
       g.geom
FROM grids g
JOIN communities c ON c.code = g.community_code
JOIN townships t ON t.code = c.township_code
JOIN counties k ON k.code = t.county_code
LEFT JOIN teams tm ON tm.grid_code = g.code
LEFT JOIN command_centers sc ON sc.township_code = t.code AND sc.level = 'township'
LEFT JOIN command_centers cc ON cc.county_code = k.code AND cc.level = 'county';

CREATE UNIQUE INDEX grid_directory_code ON grid_directory (grid_code);
CREATE INDEX grid_directory_geom_gist ON grid_directory USING gist (geom);

CREATE FUNCTION refresh_grid_directory() RETURNS void LANGUAGE sql AS $$
    REFRESH MATERIALIZED VIEW grid_directory;
$$;

-- Events keep their area codes for filtering; they follow from the grid code, so a CHECK
-- (no look-up) replaces three foreign keys on the busiest insert.
ALTER TABLE events DROP CONSTRAINT events_community_code_fkey,
                   DROP CONSTRAINT events_township_code_fkey,
                   DROP CONSTRAINT events_county_code_fkey,
                   ADD CONSTRAINT events_area_codes_follow_grid CHECK (
                       community_code = left(grid_code, 12) AND township_code = left(grid_code, 9)
                       AND county_code = left(grid_code, 6));
