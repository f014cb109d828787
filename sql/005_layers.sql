-- Key road sections (重点路段), key locations (重点部位) and surveillance cameras (clause 7.1.3).

CREATE TABLE key_roads (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    road_class  text NOT NULL CHECK (road_class IN ('trunk', 'primary', 'secondary')),
    geom        geometry(MultiLineString, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX key_roads_geom_gist ON key_roads USING gist (geom);

CREATE TABLE key_locations (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL,
    risk_level  smallint NOT NULL DEFAULT 1 CHECK (risk_level BETWEEN 1 AND 3),
    -- a point or a polygon
    geom        geometry(Geometry, 4326) NOT NULL
                CHECK (ST_IsValid(geom) AND GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON'))
);
CREATE INDEX key_locations_geom_gist ON key_locations USING gist (geom);

CREATE TABLE cameras (
    device_id    varchar(20) PRIMARY KEY CHECK (device_id ~ '^[0-9]{20}$'),
    name         text NOT NULL,
    azimuth_deg  real NOT NULL CHECK (azimuth_deg >= 0 AND azimuth_deg < 360),
    fov_deg      real NOT NULL CHECK (fov_deg > 0 AND fov_deg <= 360),
    range_m      real NOT NULL CHECK (range_m > 0),
    online       boolean NOT NULL DEFAULT true,
    geom         geometry(Point, 4326) NOT NULL
);
CREATE INDEX cameras_geom_gist ON cameras USING gist (geom);
