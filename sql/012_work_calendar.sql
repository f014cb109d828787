-- The county's own entries in the working-time calendar (clauses 6.2.1, 6.2.4): the State Council's
-- holiday announcement for a year the chinese-calendar package does not know yet, or a local
-- correction. A row overrides the package for its day: 'holiday' is a day off whatever its
-- weekday, 'workday' is a day worked (调休: an adjusted weekend day, or a cancelled holiday).
-- gisapp.services.jurisdiction.worktime.load_calendar merges these rows over the package's data.

CREATE TABLE work_calendar_days (
    day   date PRIMARY KEY,
    kind  text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name  text NOT NULL DEFAULT ''      -- 春节, 国庆节调休 ...: shown to whoever reads the calendar
);
