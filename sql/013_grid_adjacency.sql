-- The grid adjacency graph (standard 6.2.3.2, issue 4): which grids touch which, for support from
-- adjacent grids. Derived from the polygons; each contact is stored in both directions.
--
-- The rule, in metres (the grids are projected to the CGCS2000 3-degree Gauss-Kruger zone of their
-- centre, EPSG:4534..4554, chosen at a full build; within a zone the scale error is below 0.05 %):
--   * two grids are in contact when they come within tolerance_m of each other (ST_DWithin), so a
--     hairline gap or a sliver overlap left by digitising still counts as a shared boundary;
--   * shared_m is the length of the lower code's boundary lying within tolerance_m of the other grid
--     (for clean data: the shared edge plus about one tolerance at each end);
--   * the contact is an 'edge' when shared_m > 5 m + 2 x tolerance_m, else a 'corner' (a point touch,
--     or a stub too short to pass; at a right-angled corner the tolerance alone gives ~2 x tolerance_m).
--
-- Kept current: statement triggers on grids note every grid inserted, deleted or moved in
-- grid_adjacency_changes. refresh_grid_adjacency() then recomputes the contacts of those grids only
-- (the whole graph when most grids changed or it was never built); refresh_grid_adjacency(t) rebuilds
-- everything with a new tolerance t. Whoever edits grids calls refresh_grid_adjacency() in the same
-- transaction; gisapp.services.command.support.ensure_adjacency() does it before reading, so a bulk load
-- (the jurisdiction loader) needs to know nothing.

CREATE TABLE grid_adjacency (
    grid_code       varchar(15) NOT NULL,   -- no foreign keys: derived data, rebuilt from grids
    neighbour_code  varchar(15) NOT NULL,
    contact         text NOT NULL CHECK (contact IN ('edge', 'corner')),
    shared_m        double precision NOT NULL CHECK (shared_m >= 0),
    PRIMARY KEY (grid_code, neighbour_code),
    CHECK (grid_code <> neighbour_code)
);
CREATE INDEX grid_adjacency_neighbour_idx ON grid_adjacency (neighbour_code);

-- one row: how the graph was built
CREATE TABLE grid_adjacency_state (
    only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    tolerance_m   double precision NOT NULL DEFAULT 1.0 CHECK (tolerance_m >= 0 AND tolerance_m <= 50),
    srid          integer,                -- the metric CRS of the last full build
    built_at      timestamptz,            -- last full build (NULL: never)
    refreshed_at  timestamptz
);
INSERT INTO grid_adjacency_state DEFAULT VALUES;

-- grids changed since the last refresh (append-only for the triggers: no unique key to wait on)
CREATE TABLE grid_adjacency_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grid_code   varchar(15) NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION grid_adjacency_note_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grid_adjacency_changes (grid_code) SELECT code FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO grid_adjacency_changes (grid_code) SELECT code FROM old_rows;
    ELSE  -- UPDATE: only rows whose code or shape changed (geometry '=' compares coordinates exactly)
        INSERT INTO grid_adjacency_changes (grid_code)
        SELECT n.code FROM new_rows n
        WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.code = n.code AND o.geom = n.geom)
        UNION
        SELECT o.code FROM old_rows o
        WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.code = o.code AND n.geom = o.geom);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER grids_adjacency_insert AFTER INSERT ON grids REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grid_adjacency_note_changes();
CREATE TRIGGER grids_adjacency_delete AFTER DELETE ON grids REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grid_adjacency_note_changes();
CREATE TRIGGER grids_adjacency_update AFTER UPDATE ON grids REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grid_adjacency_note_changes();

CREATE FUNCTION grid_adjacency_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM grid_adjacency;
    DELETE FROM grid_adjacency_changes;
    RETURN NULL;
END $$;
CREATE TRIGGER grids_adjacency_truncate AFTER TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION grid_adjacency_truncated();

-- The metric CRS of the grids: the CGCS2000 3-degree Gauss-Kruger zone (CM 75E..135E) of their centre.
CREATE FUNCTION grid_adjacency_srid() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT 4534 + LEAST(20, GREATEST(0, round((ST_X(ST_Centroid(ST_Extent(geom))) - 75) / 3)))::integer
    FROM grids HAVING count(*) > 0;
$$;

-- The work of one refresh: the grids to measure, projected, with their outline and their reach (the
-- grid grown by the tolerance). `changed` marks the grids whose contacts are recomputed: all of them
-- (codes NULL) or the given codes, measured against their unchanged surroundings (found through the
-- GiST index of grids).
CREATE FUNCTION grid_adjacency_prepare(srid integer, tolerance_m double precision, codes varchar[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    -- the tolerance in degrees, generously (a degree of longitude is over 50 km up to 63 N)
    reach_deg double precision := tolerance_m / 50000.0 + 1e-7;
BEGIN
    CREATE TEMP TABLE grid_adjacency_work ON COMMIT DROP AS
    WITH chosen AS (
        SELECT code, true AS changed, geom FROM grids WHERE codes IS NULL OR code = ANY (codes)
        UNION
        SELECT DISTINCT g.code, false, g.geom
        FROM grids c JOIN grids g ON g.geom && ST_Expand(c.geom, reach_deg)
        WHERE codes IS NOT NULL AND c.code = ANY (codes) AND g.code <> ALL (codes)
    ), projected AS (
        SELECT code, changed, ST_Transform(geom, srid) AS m FROM chosen
    )
    SELECT code, changed, m, ST_Boundary(m) AS outline, ST_Buffer(m, tolerance_m, 'quad_segs=2') AS reach
    FROM projected;
    CREATE INDEX ON grid_adjacency_work USING gist (m);
    ANALYZE grid_adjacency_work;
END $$;

-- Measure every contact of a changed grid in the work table and store it both ways; rows stored.
CREATE FUNCTION grid_adjacency_measure(tolerance_m double precision) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH pairs AS (
        SELECT a.code AS a, b.code AS b, ST_Length(ST_Intersection(a.outline, b.reach)) AS shared_m
        FROM grid_adjacency_work a
        JOIN grid_adjacency_work b ON a.code < b.code AND (a.changed OR b.changed)
                                  AND ST_DWithin(a.m, b.m, tolerance_m)
    ), classified AS (
        SELECT a, b, shared_m, CASE WHEN shared_m > 5 + 2 * tolerance_m THEN 'edge' ELSE 'corner' END AS contact
        FROM pairs
    )
    INSERT INTO grid_adjacency (grid_code, neighbour_code, contact, shared_m)
    SELECT a, b, contact, shared_m FROM classified
    UNION ALL
    SELECT b, a, contact, shared_m FROM classified;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Bring the graph up to date: the contacts of the grids changed since the last refresh, or all of them
-- (a tolerance given, never built, or most grids changed). Returns the rows written. JIT is off: the
-- time goes into GEOS, and compiling the plan would cost more than a small refresh.
CREATE FUNCTION refresh_grid_adjacency(tolerance_m double precision DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    state       grid_adjacency_state;
    tol         double precision;
    note_ids    bigint[];
    codes       varchar[];
    full_build  boolean;
    n           integer := 0;
BEGIN
    -- the state row is the lock: two refreshes run one after the other
    SELECT * INTO state FROM grid_adjacency_state FOR UPDATE;
    tol := COALESCE(refresh_grid_adjacency.tolerance_m, state.tolerance_m);
    IF tol < 0 OR tol > 50 THEN
        RAISE EXCEPTION 'tolerance_m must be between 0 and 50 metres, not %', tol
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- exactly the notes read now are consumed: notes committed meanwhile wait for the next refresh
    SELECT array_agg(id), array_agg(DISTINCT grid_code) INTO note_ids, codes FROM grid_adjacency_changes;
    full_build := refresh_grid_adjacency.tolerance_m IS NOT NULL OR state.srid IS NULL
        OR cardinality(codes) * 2 > (SELECT count(*) FROM grids);
    IF full_build THEN
        state.srid := grid_adjacency_srid();  -- NULL when there are no grids
        codes := NULL;
        DELETE FROM grid_adjacency;  -- not TRUNCATE: readers keep the old graph until this commits
    ELSIF codes IS NOT NULL THEN
        DELETE FROM grid_adjacency WHERE grid_code = ANY (codes) OR neighbour_code = ANY (codes);
    END IF;
    IF state.srid IS NOT NULL AND (full_build OR codes IS NOT NULL) THEN
        PERFORM grid_adjacency_prepare(state.srid, tol, codes);
        n := grid_adjacency_measure(tol);
        DROP TABLE grid_adjacency_work;
    END IF;
    DELETE FROM grid_adjacency_changes WHERE id = ANY (note_ids);
    UPDATE grid_adjacency_state
    SET tolerance_m = tol, srid = state.srid, refreshed_at = now(),
        built_at = CASE WHEN full_build THEN now() ELSE built_at END;
    RETURN n;
END $$;

-- support candidates leave out members already sent on an open support task
CREATE INDEX event_tasks_open_support_member_idx ON event_tasks (member_code)
    WHERE kind = 'support' AND status IN ('dispatched', 'acknowledged', 'on_scene');

SELECT refresh_grid_adjacency(1.0);
