-- Every change to an account's held or captured amounts, and every decline, as one row written in
-- the transaction that makes it (AuthorizationEventStore). Numbered per account: the account row
-- lock that serialises the balance change also serialises the numbers, so they commit in order
-- and a reader following sequence > cursor never skips one. PostgreSQL only (the trigger).
CREATE TABLE authorization_events (
    id               VARCHAR(36)    NOT NULL PRIMARY KEY,
    account_id       VARCHAR(36)    NOT NULL REFERENCES accounts (id),
    sequence         BIGINT         NOT NULL,
    type             VARCHAR(32)    NOT NULL,
    authorization_id VARCHAR(36)    NOT NULL REFERENCES authorizations (id),
    currency_code    CHAR(3)        NOT NULL,
    held_before      NUMERIC(24, 9) NOT NULL,
    held_after       NUMERIC(24, 9) NOT NULL,
    captured_before  NUMERIC(24, 9) NOT NULL,
    captured_after   NUMERIC(24, 9) NOT NULL,
    -- The token's sub of the call that made the change; empty for a hold released at expiry.
    actor            VARCHAR(255)   NOT NULL,
    -- The call's x-request-id (the edge's access log and the service's log lines carry it).
    request_id       VARCHAR(255)   NOT NULL,
    create_time      TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    CONSTRAINT authorization_events_sequence UNIQUE (account_id, sequence),
    CONSTRAINT authorization_events_sequence_positive CHECK (sequence > 0)
);

-- ListAuthorizationEvents filtered by authorization reads its events without the account's others.
CREATE INDEX authorization_events_by_authorization ON authorization_events (authorization_id, sequence);

-- Append-only: a row once written is never changed or removed, whoever connects.
CREATE FUNCTION authorization_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'authorization_events is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER authorization_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON authorization_events
    FOR EACH STATEMENT EXECUTE FUNCTION authorization_events_append_only();
