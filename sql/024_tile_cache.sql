-- The vector-tile cache (issue: tiles), shared by every worker: one row per tileset, tile and caller's scope
-- ('county:320102', 'grid:320102002001001' ...). Triggers on the tables the tiles are made of delete the
-- cached tiles a change can affect, in the changing transaction. UNLOGGED: a cache, rebuilt on demand, need
-- not survive a crash nor be written to the WAL.
--
-- Ordering: a tile built from a snapshot taken before a change commits must not be stored after the change
-- purged the cache. Builders take the advisory lock tile_cache_lock_key() shared while they compute and
-- store a tile; a change takes it exclusively (until its commit) before it purges, so it waits for the
-- builds in flight and deletes what they stored. A builder that cannot get the lock at once (a change is
-- in progress) serves its tile without storing it: readers never wait for writers.

CREATE UNLOGGED TABLE tile_cache (
    tileset   text NOT NULL,
    z         smallint NOT NULL CHECK (z BETWEEN 0 AND 30),
    x         integer NOT NULL CHECK (x >= 0),
    y         integer NOT NULL CHECK (y >= 0),
    scope     text NOT NULL,
    tile      bytea NOT NULL,
    etag      text NOT NULL,
    envelope  geometry(Polygon, 4326) NOT NULL,   -- the tile with its buffer, in lon/lat
    made_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tileset, z, x, y, scope)
);
CREATE INDEX tile_cache_envelope_gist ON tile_cache USING gist (envelope);
CREATE INDEX tile_cache_scope_idx ON tile_cache (scope);

-- the advisory lock key of the cache: hashtext('gisapp.tile_cache')
CREATE FUNCTION tile_cache_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 7305519144 $$;

-- delete the cached tiles of some tilesets that meet a geometry (NULL: nothing), and of some scopes entirely
CREATE FUNCTION tile_cache_purge(tilesets text[], geom geometry, scopes text[] DEFAULT '{}')
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(tile_cache_lock_key());
    IF geom IS NOT NULL THEN
        DELETE FROM tile_cache c WHERE c.tileset = ANY (tilesets) AND c.envelope && geom
                                   AND ST_Intersects(c.envelope, geom);
    END IF;
    IF cardinality(scopes) > 0 THEN
        DELETE FROM tile_cache c WHERE c.scope = ANY (scopes);
    END IF;
END $$;

-- one trigger function for the layer tables: TG_ARGV are the tilesets drawn from the table; the old and
-- the new geometry of the row are purged
CREATE FUNCTION tile_cache_purge_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scopes text[] := '{}';
BEGIN
    -- held until commit (see above); with it held no tile can be stored, so an empty cache stays empty
    PERFORM pg_advisory_xact_lock(tile_cache_lock_key());
    IF NOT EXISTS (SELECT 1 FROM tile_cache) THEN
        RETURN NULL;  -- a bulk load into an empty cache costs no purge
    END IF;
    IF TG_TABLE_NAME = 'townships' THEN   -- a township dispatcher's area is its township
        scopes := ARRAY['township:' || COALESCE(NEW.code, OLD.code), 'township:' || COALESCE(OLD.code, NEW.code)];
    ELSIF TG_TABLE_NAME = 'grids' THEN    -- a grid officer's area is its grid and the grids that meet it
        SELECT COALESCE(array_agg('grid:' || n.code), '{}') INTO scopes FROM grids n
        WHERE (TG_OP <> 'INSERT' AND ST_Intersects(n.geom, OLD.geom))
           OR (TG_OP <> 'DELETE' AND ST_Intersects(n.geom, NEW.geom));
        scopes := scopes || ARRAY['grid:' || COALESCE(NEW.code, OLD.code), 'grid:' || COALESCE(OLD.code, NEW.code)];
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM tile_cache_purge(TG_ARGV, OLD.geom, scopes);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM tile_cache_purge(TG_ARGV, NEW.geom, scopes);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER townships_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON townships
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_row('townships', 'communities', 'grids');
CREATE TRIGGER communities_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON communities
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_row('communities', 'grids');
CREATE TRIGGER grids_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON grids
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_row('grids');
CREATE TRIGGER key_roads_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON key_roads
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_row('key-roads', 'coverage-gaps');
CREATE TRIGGER key_locations_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON key_locations
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_row('key-locations');
CREATE TRIGGER cameras_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON cameras
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_row('cameras');

-- the gaps of the key roads change where a camera's view was or is
CREATE FUNCTION tile_cache_purge_camera_view() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM tile_cache_purge(ARRAY['coverage-gaps'], OLD.view);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM tile_cache_purge(ARRAY['coverage-gaps'], NEW.view);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER cameras_purge_gap_tiles AFTER INSERT OR DELETE OR UPDATE ON cameras
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_camera_view();

-- a grid's tile properties show its team and how many of its members are on duty
CREATE FUNCTION tile_cache_purge_teams(team_codes text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_cache_purge(ARRAY['grids'], (SELECT ST_Collect(g.geom) FROM grids g
                                              JOIN teams t ON t.grid_code = g.code WHERE t.code = ANY (team_codes)));
END $$;
CREATE FUNCTION tile_cache_purge_team_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'teams' THEN
        PERFORM tile_cache_purge(ARRAY['grids'], (SELECT ST_Collect(g.geom) FROM grids g
                                                  WHERE g.code IN (OLD.grid_code, NEW.grid_code)));
    ELSE
        PERFORM tile_cache_purge_teams(ARRAY[OLD.team_code, NEW.team_code]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER teams_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_team_row();
CREATE TRIGGER members_purge_tiles AFTER INSERT OR DELETE OR UPDATE OF team_code, duty_status ON members
    FOR EACH ROW EXECUTE FUNCTION tile_cache_purge_team_row();

-- the county and department areas bound everything their callers see
CREATE FUNCTION tile_cache_purge_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(tile_cache_lock_key());
    DELETE FROM tile_cache;
    RETURN NULL;
END $$;
CREATE TRIGGER counties_purge_tiles AFTER INSERT OR DELETE OR UPDATE ON counties
    FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER departments_purge_tiles AFTER INSERT OR DELETE OR UPDATE OF county_code ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
-- row triggers do not see a TRUNCATE
CREATE TRIGGER townships_truncate_tiles AFTER TRUNCATE ON townships FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER communities_truncate_tiles AFTER TRUNCATE ON communities FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER grids_truncate_tiles AFTER TRUNCATE ON grids FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER teams_truncate_tiles AFTER TRUNCATE ON teams FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER members_truncate_tiles AFTER TRUNCATE ON members FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER key_roads_truncate_tiles AFTER TRUNCATE ON key_roads FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER key_locations_truncate_tiles AFTER TRUNCATE ON key_locations FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();
CREATE TRIGGER cameras_truncate_tiles AFTER TRUNCATE ON cameras FOR EACH STATEMENT EXECUTE FUNCTION tile_cache_purge_all();

-- a tile feature's attributes: a layer's properties (jsonb_build_object of gisapp/services/layers/features.py) with
-- nested objects flattened one level ({"team": {"code": ..}} -> {"team_code": ..}), since MVT values are
-- scalars; nulls are left out, as ST_AsMVT does
CREATE FUNCTION tile_properties(props jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(jsonb_object_agg(f.key, f.value), '{}'::jsonb) FROM (
        SELECT p.key, p.value FROM jsonb_each(props) p WHERE jsonb_typeof(p.value) NOT IN ('object', 'null')
        UNION ALL
        SELECT p.key || '_' || n.key, n.value FROM jsonb_each(props) p, jsonb_each(p.value) n
        WHERE jsonb_typeof(p.value) = 'object' AND jsonb_typeof(n.value) NOT IN ('object', 'array', 'null')
    ) f
$$;
