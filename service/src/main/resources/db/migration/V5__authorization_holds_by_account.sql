-- Every call that locks an account sums its holds past expiry (Accounts.find) and releases them
-- (Authorizations.releaseExpired): WHERE account_id = ? AND state = 'APPROVED' AND expire_time <= ?.
-- Without this index that reads every authorization the account ever made (or every expired
-- hold of every account): a write's cost grew with history. Portable: H2 and PostgreSQL.
CREATE INDEX authorizations_holds_by_account ON authorizations (account_id, state, expire_time);
