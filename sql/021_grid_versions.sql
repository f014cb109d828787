-- Versioned grid editing (issue 5): every version of every grid is kept with author, time, reason and
-- effective date; a community's layout carries a version that edits must be based on (ETag / If-Match).

ALTER TABLE communities ADD COLUMN layout_version integer NOT NULL DEFAULT 1;
ALTER TABLE grids ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE TABLE grid_versions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grid_code       varchar(15) NOT NULL,
    version         integer NOT NULL,
    name            text NOT NULL,
    geom            geometry(MultiPolygon, 4326) NOT NULL,
    author          text NOT NULL,
    at              timestamptz NOT NULL,
    reason          text NOT NULL,
    effective_date  date NOT NULL,
    UNIQUE (grid_code, version)
);
CREATE TRIGGER grid_versions_no_update BEFORE UPDATE OR DELETE ON grid_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();

INSERT INTO grid_versions (grid_code, version, name, geom, author, at, reason, effective_date)
SELECT code, 1, name, geom, 'system', now(), 'as loaded', current_date FROM grids;
