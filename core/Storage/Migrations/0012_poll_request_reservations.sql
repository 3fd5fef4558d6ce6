-- A poll with a poll_request_id reserves its key before it parks (status 'pending'), so a duplicate sent while the
-- first is in flight waits for the first one's answer instead of leasing a second task. The reservation id names the
-- poll that holds the key: only that poll may record its claim or its empty answer, and a duplicate that takes over an
-- expired reservation (its node died) fences the old holder out. expires_at already bounds a pending reservation.
ALTER TABLE workflow_poll_requests ADD COLUMN IF NOT EXISTS reservation_id varchar(26) COLLATE "C";
