-- The jurisdiction: county (区/县) > township (街道/镇) > community (社区/村) > grid (网格).
-- All geometry is stored in EPSG:4326 (WGS84 lon/lat; CGCS2000 coincides at centimetre level).
-- Codes are national statistical division codes: 6, 9, 12 digits; a grid adds a 3-digit serial.

CREATE TABLE counties (
    code        varchar(6) PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL,
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX counties_geom_gist ON counties USING gist (geom);

CREATE TABLE townships (
    code        varchar(9) PRIMARY KEY CHECK (code ~ '^[0-9]{9}$'),
    name        text NOT NULL,
    county_code varchar(6) NOT NULL REFERENCES counties (code),
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    CHECK (left(code, 6) = county_code)
);
CREATE INDEX townships_geom_gist ON townships USING gist (geom);
CREATE INDEX townships_county_idx ON townships (county_code);

CREATE TABLE communities (
    code           varchar(12) PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
    name           text NOT NULL,
    township_code  varchar(9) NOT NULL REFERENCES townships (code),
    geom           geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    CHECK (left(code, 9) = township_code)
);
CREATE INDEX communities_geom_gist ON communities USING gist (geom);
CREATE INDEX communities_township_idx ON communities (township_code);

CREATE TABLE grids (
    code            varchar(15) PRIMARY KEY CHECK (code ~ '^[0-9]{15}$'),
    name            text NOT NULL,
    community_code  varchar(12) NOT NULL REFERENCES communities (code),
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    CHECK (left(code, 12) = community_code)
);
CREATE INDEX grids_geom_gist ON grids USING gist (geom);
CREATE INDEX grids_community_idx ON grids (community_code);
