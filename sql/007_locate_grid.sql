-- Geocoding in one call: the grid covering a point, with its parents, team and centers.
--
-- Shared-edge rule: a point on an edge or vertex shared by several grids is covered by each of
-- them (ST_Covers includes the boundary); it belongs to the grid with the lowest code.
-- The covering grids are found through the GiST index first (MATERIALIZED keeps the planner from
-- walking grids in code order and testing each), then the joins run for one row only.
-- PL/pgSQL caches the plan per connection, so a call costs no planning of the six-way join.

CREATE FUNCTION locate_grid(lon double precision, lat double precision)
RETURNS TABLE (
    grid_code text, grid_name text,
    community_code text, community_name text,
    township_code text, township_name text,
    county_code text, county_name text,
    team_code text, team_name text,
    sub_center_code text, sub_center_name text,
    county_center_code text, county_center_name text
)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN QUERY
    WITH hit AS MATERIALIZED (
        SELECT g.code FROM grids g
        WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(lon, lat), 4326))
        ORDER BY g.code
        LIMIT 1
    )
    SELECT g.code::text, g.name, c.code::text, c.name, t.code::text, t.name, k.code::text, k.name,
           tm.code, tm.name, sc.code, sc.name, cc.code, cc.name
    FROM hit
    JOIN grids g ON g.code = hit.code
    JOIN communities c ON c.code = g.community_code
    JOIN townships t ON t.code = c.township_code
    JOIN counties k ON k.code = t.county_code
    LEFT JOIN teams tm ON tm.grid_code = g.code
    LEFT JOIN command_centers sc ON sc.township_code = t.code AND sc.level = 'township'
    LEFT JOIN command_centers cc ON cc.county_code = k.code AND cc.level = 'county';
END $$;
