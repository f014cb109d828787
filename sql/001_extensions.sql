-- PostGIS for geometry/geography; pgcrypto for gen_random_uuid() on older servers.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
