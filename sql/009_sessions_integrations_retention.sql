-- Browser sessions, integration API keys, rate-limit windows, per-submitter idempotency and
-- the audit trail's retention (issue 3; GB/T 22239-2019 8.1.4.1, 8.1.4.3, 8.1.5.4).

-- A browser session: the cookie holds a random id, the table only its hash. Idle and absolute
-- limits are checked on every request against last_seen_at and created_at.
CREATE TABLE web_sessions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id),
    session_hash  text NOT NULL UNIQUE,
    csrf_token    text NOT NULL,
    client_addr   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz,
    end_reason    text CHECK (end_reason IN ('logout', 'idle', 'expired', 'disabled', 'password'))
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id) WHERE ended_at IS NULL;

-- A system that reports events on citizens' behalf (public app, 12345 hotline, video platform):
-- it may create events on its channels and read back its own, nothing else.
CREATE TABLE integrations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{2,63}$'),
    name         text NOT NULL,
    county_code  varchar(6) NOT NULL REFERENCES counties (code),
    channels     text[] NOT NULL CHECK (cardinality(channels) > 0 AND channels <@
                     ARRAY['patrol', 'public', 'hotline', 'video', 'referral']),
    key_hash     text NOT NULL UNIQUE,        -- sha256 of the key; the key itself is never stored
    created_at   timestamptz NOT NULL DEFAULT now(),
    disabled     boolean NOT NULL DEFAULT false
);

-- Who submitted an event ("user:<username>", "integration:<code>"): it may read the event back,
-- and its client_ref is its own, so one submitter's reference can neither collide with nor
-- reveal another's.
ALTER TABLE events ADD COLUMN submitted_by text NOT NULL DEFAULT 'system';
ALTER TABLE events DROP CONSTRAINT events_client_ref_key;
CREATE UNIQUE INDEX events_submitter_ref_key ON events (submitted_by, client_ref);
CREATE INDEX events_submitted_by_idx ON events (submitted_by, created_at DESC);
CREATE INDEX events_department_idx ON events (department_code, created_at DESC) WHERE department_code IS NOT NULL;

-- Fixed-window request counters shared by every worker and host (login and intake limits).
-- Unlogged: losing the counters in a crash only resets the windows.
CREATE UNLOGGED TABLE rate_windows (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Retention: records may leave the audit trail only through `gisapp audit purge`, which sets
-- gisapp.audit_purge for its transaction, and never before they are 180 days old, whatever the
-- configuration says. A checkpoint keeps the hash of the last purged record, so the chain
-- still verifies from there. Checkpoints are append-only too.
CREATE TABLE audit_checkpoints (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    upto_id     bigint NOT NULL,              -- every audit record with id <= upto_id was purged
    last_hash   text NOT NULL,                -- the hash of record upto_id
    purged      bigint NOT NULL CHECK (purged > 0)
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_append_only();

CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('gisapp.audit_purge', true) = 'on'
       AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (records leave it only by purge after 180 days)'
        USING ERRCODE = 'insufficient_privilege';
END $$;

DROP TRIGGER audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
