-- Duplicates (clause 6.3, issue 4): reports of the same incident from several channels are merged into one
-- main event. The duplicate keeps its row, its reporter and its log (every source is kept); it is voided
-- and points at the event it was merged into, whose progress its reporter then follows.

ALTER TABLE events
    ADD COLUMN merged_into bigint REFERENCES events (id),
    ADD CONSTRAINT events_not_merged_into_itself CHECK (merged_into <> id),
    -- a merged report is no longer a case of its own (voided is terminal: nothing reopens it)
    ADD CONSTRAINT events_merged_is_voided CHECK (merged_into IS NULL OR status = 'voided');

-- the reports merged into an event, for its reporters' views and the center's reading
CREATE INDEX events_merged_into_idx ON events (merged_into) WHERE merged_into IS NOT NULL;
