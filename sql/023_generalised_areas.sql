-- Generalised outlines of townships and communities for the low zooms of the vector tiles (issue: tiles).
-- Simplifying thousands of polygons per tile request is what makes low-zoom tiles slow; these columns are
-- computed once per change instead. Each serves the zooms up to the one in its name: the tolerance is one
-- unit of a 4096-unit tile at that zoom (360° / (4096 · 2^z) in longitude), so at the zooms it serves the
-- simplification moves no vertex by more than the tile's own quantisation does.

CREATE FUNCTION generalised_outline(geom geometry, max_zoom integer) RETURNS geometry(MultiPolygon, 4326)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(
               ST_SimplifyPreserveTopology(geom, 360.0 / (4096 * 2 ^ max_zoom))), 3))
$$;

ALTER TABLE townships ADD COLUMN geom_z9 geometry(MultiPolygon, 4326),
                      ADD COLUMN geom_z12 geometry(MultiPolygon, 4326);
ALTER TABLE communities ADD COLUMN geom_z9 geometry(MultiPolygon, 4326),
                        ADD COLUMN geom_z12 geometry(MultiPolygon, 4326);

CREATE FUNCTION areas_keep_generalised() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom_z9 := generalised_outline(NEW.geom, 9);
    NEW.geom_z12 := generalised_outline(NEW.geom, 12);
    RETURN NEW;
END $$;

CREATE TRIGGER townships_keep_generalised BEFORE INSERT OR UPDATE OF geom ON townships
    FOR EACH ROW EXECUTE FUNCTION areas_keep_generalised();
CREATE TRIGGER communities_keep_generalised BEFORE INSERT OR UPDATE OF geom ON communities
    FOR EACH ROW EXECUTE FUNCTION areas_keep_generalised();

UPDATE townships SET geom_z9 = generalised_outline(geom, 9), geom_z12 = generalised_outline(geom, 12);
UPDATE communities SET geom_z9 = generalised_outline(geom, 9), geom_z12 = generalised_outline(geom, 12);
ALTER TABLE townships ALTER COLUMN geom_z9 SET NOT NULL, ALTER COLUMN geom_z12 SET NOT NULL;
ALTER TABLE communities ALTER COLUMN geom_z9 SET NOT NULL, ALTER COLUMN geom_z12 SET NOT NULL;
