-- Photos of events (the grid officer's report, the life cycle's steps): the bytes are kept in the
-- database (bytea) so an upload is written with its audit record in one transaction and backed up
-- with the rest; a photo is small (the upload limit is GISAPP_MAX_PHOTO_BYTES). One photo belongs to
-- one event; the same bytes sent again for the same event are the same photo (a retry).

CREATE TABLE event_photos (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type   text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
    content      bytea NOT NULL,
    size_bytes   integer NOT NULL CHECK (size_bytes > 0 AND size_bytes = octet_length(content)),
    width        integer CHECK (width > 0),
    height       integer CHECK (height > 0),
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, sha256)
);

CREATE INDEX event_photos_event_idx ON event_photos (event_id, id);
