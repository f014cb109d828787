-- Events (clause 6) and their append-only log. States are a first cut; the life cycle
-- issue extends them through new migrations.

CREATE TABLE events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_ref       text UNIQUE CHECK (length(client_ref) BETWEEN 1 AND 128),
    request_hash     text,
    category_code    text NOT NULL REFERENCES categories (code),
    description      text NOT NULL DEFAULT '',
    channel          text NOT NULL CHECK (channel IN ('patrol', 'public', 'hotline', 'video', 'referral')),
    status           text NOT NULL CHECK (status IN ('reported', 'dispatched', 'acknowledged', 'in_progress',
                                                     'handled', 'closed', 'cancelled')),
    level            smallint NOT NULL CHECK (level IN (1, 2)),
    priority         text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    geom             geometry(Point, 4326) NOT NULL,
    -- the point as it arrived, before conversion, for audit
    reported_crs     text NOT NULL,
    reported_lon     double precision NOT NULL,
    reported_lat     double precision NOT NULL,
    grid_code        varchar(15) NOT NULL REFERENCES grids (code),
    community_code   varchar(12) NOT NULL REFERENCES communities (code),
    township_code    varchar(9) NOT NULL REFERENCES townships (code),
    county_code      varchar(6) NOT NULL REFERENCES counties (code),
    center_code      text NOT NULL REFERENCES command_centers (code),
    assignee_kind    text NOT NULL CHECK (assignee_kind IN ('team', 'department', 'center')),
    team_code        text REFERENCES teams (code),
    department_code  text REFERENCES departments (code),
    reporter_name    text,
    reporter_phone   text,
    respond_by       timestamptz NOT NULL,
    handle_by        timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((assignee_kind = 'team') = (team_code IS NOT NULL)),
    CHECK (assignee_kind <> 'department' OR department_code IS NOT NULL)
);
CREATE INDEX events_geom_gist ON events USING gist (geom);
CREATE INDEX events_grid_idx ON events (grid_code, created_at DESC);
CREATE INDEX events_township_idx ON events (township_code, created_at DESC);
CREATE INDEX events_status_idx ON events (status, created_at DESC);
CREATE INDEX events_category_idx ON events (category_code, created_at DESC);
CREATE INDEX events_created_idx ON events (created_at DESC, id DESC);

CREATE TABLE event_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES events (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    from_status text,
    to_status   text,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX event_log_event_idx ON event_log (event_id, at);

-- append-only: the log is never updated or deleted
CREATE FUNCTION event_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER event_log_no_update BEFORE UPDATE OR DELETE ON event_log
    FOR EACH ROW EXECUTE FUNCTION event_log_append_only();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION event_log_append_only();
