-- Up Migration

-- Every batch rewrites the balance of each account it touches. With free room on the page the
-- new row version stays on it and no index is touched (a HOT update): the account indexes do not
-- grow with the write rate, and a hot account's row stays cheap to update.
ALTER TABLE accounts SET (fillfactor = 70);

-- Down Migration

ALTER TABLE accounts RESET (fillfactor);
