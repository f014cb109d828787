-- Accounts, API tokens and the tamper-evident audit trail (standard 7.2.1.4; GB/T 22239-2019).

CREATE TABLE users (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    display_name         text NOT NULL DEFAULT '',
    role                 text NOT NULL CHECK (role IN ('county_commander', 'township_dispatcher',
                             'grid_officer', 'department_staff', 'planner', 'auditor',
                             'security_admin', 'system_admin')),
    county_code          varchar(6) REFERENCES counties (code),
    township_code        varchar(9) REFERENCES townships (code),
    grid_code            varchar(15) REFERENCES grids (code),
    department_code      text REFERENCES departments (code),
    password_hash        text NOT NULL,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    failed_logins        integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until         timestamptz,
    disabled             boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    -- each role is bound to exactly the one area or department its work needs
    CHECK (num_nonnulls(county_code, township_code, grid_code, department_code) = 1),
    CHECK (CASE role
             WHEN 'township_dispatcher' THEN township_code IS NOT NULL
             WHEN 'grid_officer' THEN grid_code IS NOT NULL
             WHEN 'department_staff' THEN department_code IS NOT NULL
             ELSE county_code IS NOT NULL END)
);

CREATE TABLE api_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    token_hash  text NOT NULL UNIQUE,          -- sha256 of the token; the token itself is never stored
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor        text NOT NULL,
    role         text,
    client_addr  text,
    action       text NOT NULL,
    target       text NOT NULL DEFAULT '',
    success      boolean NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash    text NOT NULL,                -- hash of the previous record ('' for the first)
    hash         text NOT NULL                 -- HMAC over prev_hash and this record's content
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at);

-- One append-only guard for every log table (event_log moves to it from 006's own function).
CREATE FUNCTION refuse_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_append_only();

DROP TRIGGER event_log_no_update ON event_log;
DROP TRIGGER event_log_no_truncate ON event_log;
DROP FUNCTION event_log_append_only();
CREATE TRIGGER event_log_no_update BEFORE UPDATE OR DELETE ON event_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_append_only();
