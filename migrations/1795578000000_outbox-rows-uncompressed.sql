-- Up Migration

-- A hold.captured event (the hold and its capture's transaction, about 1.9 KB of JSON) makes an
-- outbox row just over the size (about 2 KB) past which PostgreSQL compresses a row's long values
-- with pglz, inside the batch's statement, and the relay then decompresses them. Below this target
-- a row is stored whole, as every other event's row already is: more bytes written, no compression
-- on the write path.
ALTER TABLE outbox SET (toast_tuple_target = 4080);

-- Down Migration

ALTER TABLE outbox RESET (toast_tuple_target);
