-- Camera coverage as a maintained result (clause 7.1.3.2: every key road section and key location
-- covered): per key road its covered length, ratio and uncovered stretches, per key location covered or
-- not, kept in tables and recomputed by statement-level triggers (transition tables, so a bulk UPDATE of
-- many cameras recomputes each affected road once) for exactly the roads and locations that meet the old
-- or the new view of a changed camera, or that changed themselves.

CREATE TABLE key_road_coverage (
    road_code      text PRIMARY KEY REFERENCES key_roads (code) ON DELETE CASCADE ON UPDATE CASCADE,
    length_m       double precision NOT NULL,
    covered_m      double precision NOT NULL,
    covered_ratio  double precision GENERATED ALWAYS AS
                       (CASE WHEN length_m > 0 THEN covered_m / length_m END) STORED,
    seen           geometry(MultiLineString, 4326) NOT NULL,   -- the covered stretches
    gaps           geometry(MultiLineString, 4326) NOT NULL,   -- the uncovered stretches
    computed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX key_road_coverage_gaps_gist ON key_road_coverage USING gist (gaps);

CREATE TABLE key_location_coverage (
    location_code  text PRIMARY KEY REFERENCES key_locations (code) ON DELETE CASCADE ON UPDATE CASCADE,
    covered        boolean NOT NULL,
    cameras        integer NOT NULL,                            -- online cameras whose view reaches it
    computed_at    timestamptz NOT NULL DEFAULT now()
);

-- metres on the WGS84 spheroid: what ST_Length(geom::geography) gives, without the cast
CREATE FUNCTION length_m(g geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_LengthSpheroid(g, 'SPHEROID["WGS 84",6378137,298.257223563]')
$$;

-- The coverage of some roads, in one dimension: each online view meeting a part (LineString) of a road
-- cuts it into pieces (line against one polygon: cheap), each piece becomes an interval of fractions
-- along its part (around its midpoint, so a closed loop road is placed right), overlapping intervals
-- merge (gaps and islands), and the merged intervals and their complement are cut out of the part
-- with ST_LineSubstring. No polygon union, no line overlay: the same answer as intersecting the road
-- with the union of the views (bench/coverage_bench.py asserts it to 0.1 m per road). JIT is off: the
-- planner's row estimates for ST_Dump make every call look expensive, and compiling costs more than
-- the query.
CREATE FUNCTION road_coverage_of(codes text[])
RETURNS TABLE (road_code text, length_m double precision, covered_m double precision, seen geometry, gaps geometry)
LANGUAGE sql STABLE PARALLEL SAFE SET work_mem = '64MB' SET jit = off AS $$
WITH parts AS MATERIALIZED (
    SELECT r.code, d.path[1] AS part, d.geom, r.geom AS road
    FROM key_roads r CROSS JOIN LATERAL ST_Dump(r.geom) d WHERE r.code IN (SELECT unnest(codes))
), pieces AS MATERIALIZED (
    SELECT p.code, p.part, greatest(f.mid - f.half, 0) AS lo, least(f.mid + f.half, 1) AS hi
    FROM parts p JOIN cameras c ON c.online AND c.view && p.geom
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(p.geom, c.view), 2)) q
    CROSS JOIN LATERAL (SELECT ST_LineLocatePoint(p.geom, ST_LineInterpolatePoint(q.geom, 0.5)) AS mid,
                               ST_Length(q.geom) / NULLIF(ST_Length(p.geom), 0) / 2 AS half) f
), flagged AS (   -- an island starts where a piece begins after every earlier piece of its part ended
    SELECT *, CASE WHEN lo <= max(hi) OVER (PARTITION BY code, part ORDER BY lo, hi
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                   THEN 0 ELSE 1 END AS starts
    FROM pieces WHERE hi > lo
), islands AS MATERIALIZED (
    SELECT code, part, min(lo) AS lo, max(hi) AS hi
    FROM (SELECT *, sum(starts) OVER (PARTITION BY code, part ORDER BY lo, hi) AS island FROM flagged) x
    GROUP BY code, part, island
), holes AS (     -- before each island, after the last one, and whole parts no view meets
    SELECT code, part, COALESCE(lag(hi) OVER (PARTITION BY code, part ORDER BY lo), 0) AS lo, lo AS hi
    FROM islands
    UNION ALL
    SELECT code, part, max(hi), 1 FROM islands GROUP BY code, part
    UNION ALL
    SELECT p.code, p.part, 0, 1 FROM parts p
    WHERE NOT EXISTS (SELECT 1 FROM islands i WHERE i.code = p.code AND i.part = p.part)
), stretches AS (
    SELECT i.code, true AS covered, ST_LineSubstring(p.geom, i.lo, i.hi) AS geom
    FROM islands i JOIN parts p USING (code, part)
    UNION ALL
    SELECT h.code, false, ST_LineSubstring(p.geom, h.lo, h.hi)
    FROM holes h JOIN parts p USING (code, part) WHERE h.hi > h.lo
)
SELECT r.code, length_m(r.geom),
       COALESCE(sum(length_m(s.geom)) FILTER (WHERE s.covered), 0),   -- a point (a piece that only touches) is 0 m
       COALESCE(ST_Multi(ST_CollectionExtract(ST_Collect(s.geom) FILTER (WHERE s.covered), 2)),
                'MULTILINESTRING EMPTY'::geometry(MultiLineString, 4326)),
       COALESCE(ST_Multi(ST_CollectionExtract(ST_Collect(s.geom) FILTER (WHERE NOT s.covered), 2)),
                'MULTILINESTRING EMPTY'::geometry(MultiLineString, 4326))
FROM (SELECT DISTINCT ON (code) code, road AS geom FROM parts ORDER BY code) r
LEFT JOIN stretches s ON s.code = r.code
GROUP BY r.code, r.geom
$$;

-- Two transactions changing cameras that see the same road must not leave the older answer: the road's
-- stored row is locked first, and the recompute (a new statement, so a new snapshot under READ COMMITTED)
-- then sees every camera change committed while it waited.
CREATE FUNCTION refresh_road_coverage(codes text[]) RETURNS integer LANGUAGE plpgsql SET jit = off AS $$
DECLARE n integer;
BEGIN
    PERFORM 1 FROM key_road_coverage WHERE road_code = ANY (codes) ORDER BY road_code FOR UPDATE;
    INSERT INTO key_road_coverage AS k (road_code, length_m, covered_m, seen, gaps, computed_at)
    SELECT c.road_code, c.length_m, c.covered_m, c.seen, c.gaps, now() FROM road_coverage_of(codes) c
    ON CONFLICT (road_code) DO UPDATE SET length_m = EXCLUDED.length_m, covered_m = EXCLUDED.covered_m,
        seen = EXCLUDED.seen, gaps = EXCLUDED.gaps, computed_at = EXCLUDED.computed_at;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

CREATE FUNCTION refresh_location_coverage(codes text[]) RETURNS integer LANGUAGE plpgsql SET jit = off AS $$
DECLARE n integer;
BEGIN
    PERFORM 1 FROM key_location_coverage WHERE location_code = ANY (codes) ORDER BY location_code FOR UPDATE;
    INSERT INTO key_location_coverage (location_code, covered, cameras, computed_at)
    SELECT l.code, s.cameras > 0, s.cameras, now()
    FROM key_locations l CROSS JOIN LATERAL (
        SELECT count(*)::integer AS cameras FROM cameras c
        WHERE c.online AND c.view && l.geom AND ST_Intersects(c.view, l.geom)) s
    WHERE l.code = ANY (codes)
    ON CONFLICT (location_code) DO UPDATE SET covered = EXCLUDED.covered, cameras = EXCLUDED.cameras,
        computed_at = EXCLUDED.computed_at;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- everything, from scratch (gisapp coverage refresh; after a bulk load)
CREATE FUNCTION refresh_coverage() RETURNS integer LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    DELETE FROM key_road_coverage;
    DELETE FROM key_location_coverage;
    RETURN refresh_road_coverage(ARRAY(SELECT code FROM key_roads))
         + refresh_location_coverage(ARRAY(SELECT code FROM key_locations));
END $$;

-- the roads and locations that meet any of these views (old or new views of changed cameras)
CREATE FUNCTION refresh_coverage_seen_by(views geometry[]) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF cardinality(views) = 0 THEN
        RETURN;
    END IF;
    PERFORM refresh_road_coverage(ARRAY(
        SELECT DISTINCT r.code FROM unnest(views) v JOIN key_roads r ON r.geom && v AND ST_Intersects(r.geom, v)));
    PERFORM refresh_location_coverage(ARRAY(
        SELECT DISTINCT l.code FROM unnest(views) v JOIN key_locations l ON l.geom && v AND ST_Intersects(l.geom, v)));
END $$;

CREATE FUNCTION coverage_cameras_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_coverage_seen_by(ARRAY(SELECT view FROM new_cameras WHERE online));
    RETURN NULL;
END $$;

CREATE FUNCTION coverage_cameras_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_coverage_seen_by(ARRAY(SELECT view FROM old_cameras WHERE online));
    RETURN NULL;
END $$;

-- only cameras whose online state or view changed count (a renamed camera recomputes nothing); a camera
-- whose device_id changed appears as one old and one new row, both counted
CREATE FUNCTION coverage_cameras_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_coverage_seen_by(ARRAY(
        SELECT o.view FROM old_cameras o LEFT JOIN new_cameras n ON n.device_id = o.device_id
        WHERE o.online AND (n.device_id IS NULL OR NOT n.online OR n.view IS DISTINCT FROM o.view)
        UNION ALL
        SELECT n.view FROM new_cameras n LEFT JOIN old_cameras o ON o.device_id = n.device_id
        WHERE n.online AND (o.device_id IS NULL OR NOT o.online OR o.view IS DISTINCT FROM n.view)));
    RETURN NULL;
END $$;

CREATE FUNCTION coverage_all_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_coverage();
    RETURN NULL;
END $$;

CREATE TRIGGER coverage_cameras_insert AFTER INSERT ON cameras REFERENCING NEW TABLE AS new_cameras
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_cameras_inserted();
CREATE TRIGGER coverage_cameras_update AFTER UPDATE ON cameras
    REFERENCING OLD TABLE AS old_cameras NEW TABLE AS new_cameras
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_cameras_updated();
CREATE TRIGGER coverage_cameras_delete AFTER DELETE ON cameras REFERENCING OLD TABLE AS old_cameras
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_cameras_deleted();
CREATE TRIGGER coverage_cameras_truncate AFTER TRUNCATE ON cameras
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_all_changed();

-- a new or moved road, a new or moved location: itself (deleted ones go by ON DELETE CASCADE)
CREATE FUNCTION coverage_roads_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_road_coverage(ARRAY(SELECT code FROM new_roads));
    ELSE
        PERFORM refresh_road_coverage(ARRAY(
            SELECT n.code FROM new_roads n LEFT JOIN old_roads o ON o.code = n.code
            WHERE o.code IS NULL OR o.geom IS DISTINCT FROM n.geom));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION coverage_locations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_location_coverage(ARRAY(SELECT code FROM new_locations));
    ELSE
        PERFORM refresh_location_coverage(ARRAY(
            SELECT n.code FROM new_locations n LEFT JOIN old_locations o ON o.code = n.code
            WHERE o.code IS NULL OR o.geom IS DISTINCT FROM n.geom));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER coverage_roads_insert AFTER INSERT ON key_roads REFERENCING NEW TABLE AS new_roads
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_roads_changed();
CREATE TRIGGER coverage_roads_update AFTER UPDATE ON key_roads
    REFERENCING OLD TABLE AS old_roads NEW TABLE AS new_roads
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_roads_changed();
CREATE TRIGGER coverage_locations_insert AFTER INSERT ON key_locations REFERENCING NEW TABLE AS new_locations
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_locations_changed();
CREATE TRIGGER coverage_locations_update AFTER UPDATE ON key_locations
    REFERENCING OLD TABLE AS old_locations NEW TABLE AS new_locations
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_locations_changed();

SELECT refresh_coverage();
