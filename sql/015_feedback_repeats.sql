-- Feedback and closure (clause 6.3): the reporter's rating after closure, a review opened by a
-- dissatisfied rating, and repeats: a new event of the same category near an event closed shortly
-- before is linked to it, and the earlier case is flagged.

ALTER TABLE events
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN rating text CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    ADD COLUMN rating_comment text CHECK (length(rating_comment) <= 500),
    ADD COLUMN rated_at timestamptz,
    ADD COLUMN review_open boolean NOT NULL DEFAULT false,
    ADD COLUMN repeat_of bigint REFERENCES events (id),
    ADD COLUMN repeat_count integer NOT NULL DEFAULT 0 CHECK (repeat_count >= 0),
    ADD CONSTRAINT events_rated_after_closure CHECK (rating IS NULL OR closed_at IS NOT NULL),
    ADD CONSTRAINT events_rating_time CHECK ((rating IS NULL) = (rated_at IS NULL));

UPDATE events e SET closed_at = l.at
FROM (SELECT event_id, max(at) AS at FROM event_log WHERE to_status = 'closed' GROUP BY event_id) l
WHERE l.event_id = e.id AND e.status = 'closed';

CREATE INDEX events_closed_geom_gist ON events USING gist (geom) WHERE status = 'closed';
CREATE INDEX events_repeat_of_idx ON events (repeat_of) WHERE repeat_of IS NOT NULL;
