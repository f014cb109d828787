-- Notifications (issue 4, live updates): every step of an event tells its center and the receivers it
-- concerns. Rows are kept for clients that reconnect (Last-Event-ID); pg_notify on 'gisapp_events'
-- wakes the open streams at commit.

CREATE TABLE notifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    event_id    bigint NOT NULL REFERENCES events (id),
    action      text NOT NULL,
    status      text NOT NULL,
    level       smallint NOT NULL,
    audiences   text[] NOT NULL,              -- 'center:<code>', 'team:<code>', 'department:<code>'
    county_code varchar(6) NOT NULL,
    township_code varchar(9) NOT NULL,
    grid_code   varchar(15) NOT NULL
);
CREATE INDEX notifications_event_idx ON notifications (event_id);
CREATE INDEX notifications_county_idx ON notifications (county_code, id);
