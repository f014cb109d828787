-- Layer import (issue 5): each upload or `gisapp layers import` is a job a client can poll. The job row is
-- written when the import starts and its progress is committed as it goes (from a connection of its own),
-- but it turns 'done' in the same transaction as the imported rows: done means the data is in, failed
-- means nothing of the file was written. A file (its SHA-256 with the layer, county and options) imported
-- once is not imported again; a running import of the same file is the one a retry gets.

CREATE TABLE import_jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer         text NOT NULL CHECK (layer IN ('grids', 'key-roads', 'key-locations', 'cameras')),
    county_code   varchar(6) NOT NULL REFERENCES counties (code),
    file_name     text NOT NULL,
    file_hash     char(64) NOT NULL CHECK (file_hash ~ '^[0-9a-f]{64}$'),
    options       jsonb NOT NULL DEFAULT '{}',   -- declared crs, reason: what else makes two imports the same
    dry_run       boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    stage         text NOT NULL DEFAULT 'reading' CHECK (stage IN ('reading', 'validating', 'writing', 'finished')),
    total         integer NOT NULL DEFAULT 0 CHECK (total >= 0),
    processed     integer NOT NULL DEFAULT 0 CHECK (processed >= 0),
    problems      jsonb NOT NULL DEFAULT '[]',
    problem_count integer NOT NULL DEFAULT 0,
    result        jsonb,                         -- counts: inserted, updated, unchanged, retired
    author        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),  -- the heartbeat: a running job long silent was interrupted
    finished_at   timestamptz,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX import_jobs_county_idx ON import_jobs (county_code, created_at DESC);
-- one running or imported job per file: a retry finds it instead of importing twice
CREATE UNIQUE INDEX import_jobs_once ON import_jobs (layer, county_code, file_hash, options)
    WHERE status IN ('running', 'done') AND NOT dry_run;
-- the running jobs, for the look-up of interrupted ones that every poll and upload makes
CREATE INDEX import_jobs_running_idx ON import_jobs (updated_at) WHERE status = 'running';
