-- Duty status (clause 7.1.1.4): a grid officer's account is the member it reports for; members report
-- their status and position, and the centers see who is on duty, where, and how fresh that is.

ALTER TABLE users ADD COLUMN member_code text UNIQUE REFERENCES members (code);
ALTER TABLE users ADD CONSTRAINT users_member_is_an_officer CHECK (member_code IS NULL OR role = 'grid_officer');
ALTER TABLE members ADD COLUMN status_at timestamptz;  -- when the duty status last changed
