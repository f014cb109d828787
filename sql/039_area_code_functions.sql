-- Area codes (issue 12): the county, township and community of an area or grid are prefixes of its code
-- (sql/002's CHECKs). These functions name them so that services never write a width: the widths 6, 9 and 12
-- are written here once, mirroring gisapp/domain/areas.py (LENGTHS, the one place in Python that knows them;
-- tests/test_sql_mirrors.py fails when the two disagree).
--
-- One IMMUTABLE expression each, with an SQL-standard body: the planner inlines the call into the left() it
-- wraps, so a query reads as if left(code, n) were written in it, and an expression index on left(code, n) still
-- matches. Not STRICT (left() is, and NULL gives NULL either way), which would stop the inlining in some places.
-- Earlier migrations keep their left(code, n): an applied file is never edited.

CREATE FUNCTION area_county(code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN left(code, 6);

CREATE FUNCTION area_township(code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN left(code, 9);

CREATE FUNCTION area_community(code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN left(code, 12);

COMMENT ON FUNCTION area_county(text) IS 'the county code (6 digits) of an area or grid code; gisapp.domain.areas';
COMMENT ON FUNCTION area_township(text) IS 'the township code (9 digits) of an area or grid code; gisapp.domain.areas';
COMMENT ON FUNCTION area_community(text) IS 'the community code (12 digits) of a grid code; gisapp.domain.areas';
