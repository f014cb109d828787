-- Who does what (standard clause 4): command centers, participating departments, teams, members.

CREATE TABLE command_centers (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('county', 'township')),
    county_code   varchar(6) REFERENCES counties (code),
    township_code varchar(9) REFERENCES townships (code),
    duty_phone  text,
    -- a county center is bound to its county, a sub-center to its township
    CHECK ((level = 'county' AND county_code IS NOT NULL AND township_code IS NULL)
        OR (level = 'township' AND township_code IS NOT NULL AND county_code IS NULL))
);
CREATE UNIQUE INDEX command_centers_one_per_county ON command_centers (county_code) WHERE level = 'county';
CREATE UNIQUE INDEX command_centers_one_per_township ON command_centers (township_code) WHERE level = 'township';

-- 参勤单位 (4.3.1), with their leader in charge and liaison (联络员)
CREATE TABLE departments (
    code          text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name          text NOT NULL,
    short_name    text NOT NULL,
    leader_name   text,
    leader_title  text,
    leader_phone  text,
    liaison_name  text,
    liaison_phone text,
    duty_phone    text
);

-- 联勤队伍 (4.4): one team per grid
CREATE TABLE teams (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    grid_code   varchar(15) NOT NULL UNIQUE REFERENCES grids (code)
);

CREATE TABLE members (
    code          text PRIMARY KEY,
    team_code     text NOT NULL REFERENCES teams (code),
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('grid_leader', 'grid_officer', 'police', 'urban_inspector', 'volunteer')),
    phone         text,
    duty_status   text NOT NULL DEFAULT 'off_duty'
                  CHECK (duty_status IN ('on_duty', 'on_patrol', 'busy', 'off_duty')),
    position      geometry(Point, 4326),
    position_at   timestamptz,
    CHECK ((position IS NULL) = (position_at IS NULL))
);
CREATE INDEX members_team_idx ON members (team_code);
CREATE INDEX members_position_gist ON members USING gist (position);
CREATE UNIQUE INDEX members_one_leader_per_team ON members (team_code) WHERE role = 'grid_leader';
