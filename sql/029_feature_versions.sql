-- Editable map features over OGC API - Features (Part 4): each key road, key location and camera
-- carries a version (its ETag; If-Match must name it) and the time it was last written (the
-- `datetime` filter and the temporal extent). Grids already have a version of their own and a
-- community layout version (021, the grid ETag); they get the write time only. Both are kept by
-- triggers, so every writer (the loader, the OGC API, SQL by hand) keeps them right.

ALTER TABLE key_roads ADD COLUMN version integer NOT NULL DEFAULT 1,
                      ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE key_locations ADD COLUMN version integer NOT NULL DEFAULT 1,
                          ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE cameras ADD COLUMN version integer NOT NULL DEFAULT 1,
                    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE grids ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- a writer may give the time itself (an import of older data); otherwise it is the transaction's
CREATE FUNCTION feature_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION feature_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER key_roads_version BEFORE UPDATE ON key_roads
    FOR EACH ROW EXECUTE FUNCTION feature_next_version();
CREATE TRIGGER key_locations_version BEFORE UPDATE ON key_locations
    FOR EACH ROW EXECUTE FUNCTION feature_next_version();
-- after cameras_view (020) in name order; both only set their own columns
CREATE TRIGGER cameras_version BEFORE UPDATE ON cameras
    FOR EACH ROW EXECUTE FUNCTION feature_next_version();
-- a grid's geometry or name changes: the time of its current version
CREATE TRIGGER grids_touch BEFORE UPDATE OF geom, name ON grids
    FOR EACH ROW EXECUTE FUNCTION feature_touch();
