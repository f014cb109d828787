-- Creating and retiring grids (issue 5): a grid code is issued once and never reused, so an event,
-- an account or a version that names a retired grid keeps meaning the same place.
--
-- grid_codes is the register of every code ever issued. A grid row registers its code when it is
-- inserted (and is refused when the code was retired); retiring a grid deletes its row from grids,
-- marks the code retired and keeps its last shape as a version marked retired. Events and accounts
-- refer to the register, not to the live grids, so their history survives a retirement. A team
-- whose grid is retired keeps its members and its tasks and is left without a grid (NULL) until the
-- center assigns it one; the edit's impact preview names it beforehand.

CREATE TABLE grid_codes (
    code            varchar(15) PRIMARY KEY CHECK (code ~ '^[0-9]{15}$'),
    community_code  varchar(12) NOT NULL CHECK (left(code, 12) = community_code),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    retired_at      timestamptz,
    retired_by      text,
    retire_reason   text,
    successors      text[],                 -- the grids that took its area (a merge's survivor ...)
    CHECK ((retired_at IS NULL) = (retired_by IS NULL))
);
INSERT INTO grid_codes (code, community_code) SELECT code, community_code FROM grids;

CREATE FUNCTION grids_register_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO grid_codes (code, community_code) VALUES (NEW.code, NEW.community_code)
    ON CONFLICT (code) DO NOTHING;
    IF EXISTS (SELECT 1 FROM grid_codes WHERE code = NEW.code AND retired_at IS NOT NULL) THEN
        RAISE EXCEPTION 'grid code % was retired and is never issued again', NEW.code
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'grid_codes_never_reused';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER grids_register_code BEFORE INSERT OR UPDATE OF code ON grids
    FOR EACH ROW EXECUTE FUNCTION grids_register_code();

ALTER TABLE events DROP CONSTRAINT events_grid_code_fkey,
    ADD CONSTRAINT events_grid_code_fkey FOREIGN KEY (grid_code) REFERENCES grid_codes (code);
ALTER TABLE users DROP CONSTRAINT users_grid_code_fkey,
    ADD CONSTRAINT users_grid_code_fkey FOREIGN KEY (grid_code) REFERENCES grid_codes (code);
ALTER TABLE teams ALTER COLUMN grid_code DROP NOT NULL,
    DROP CONSTRAINT teams_grid_code_fkey,
    ADD CONSTRAINT teams_grid_code_fkey FOREIGN KEY (grid_code) REFERENCES grids (code) ON DELETE SET NULL;

ALTER TABLE grid_versions ADD COLUMN retired boolean NOT NULL DEFAULT false;
