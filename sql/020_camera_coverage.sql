-- Camera coverage of key roads and key locations (clause 7.1.3.2): each camera's view is a sector
-- from its position, azimuth, field of view and range, in metres on the ellipsoid (a full circle for
-- 360° cameras). The view is kept beside the camera and indexed, so coverage is a spatial join.

CREATE FUNCTION camera_view(pos geometry, azimuth_deg real, fov_deg real, range_m real) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN fov_deg >= 360 THEN
               ST_Buffer(pos::geography, range_m, 'quad_segs=16')::geometry
           ELSE
               ST_MakePolygon(ST_MakeLine(ARRAY[pos] || ARRAY(
                   SELECT ST_Project(pos::geography, range_m,
                                     radians(azimuth_deg - fov_deg / 2 + fov_deg * i / 32.0))::geometry
                   FROM generate_series(0, 32) AS i ORDER BY i) || ARRAY[pos]))
           END
$$;

ALTER TABLE cameras ADD COLUMN view geometry(Polygon, 4326);
UPDATE cameras SET view = camera_view(geom, azimuth_deg, fov_deg, range_m);
ALTER TABLE cameras ALTER COLUMN view SET NOT NULL;
CREATE INDEX cameras_view_gist ON cameras USING gist (view) WHERE online;

CREATE FUNCTION cameras_keep_view() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.view := camera_view(NEW.geom, NEW.azimuth_deg, NEW.fov_deg, NEW.range_m);
    RETURN NEW;
END $$;
CREATE TRIGGER cameras_view BEFORE INSERT OR UPDATE OF geom, azimuth_deg, fov_deg, range_m ON cameras
    FOR EACH ROW EXECUTE FUNCTION cameras_keep_view();
