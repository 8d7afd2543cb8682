-- Portable SQL: the same migration runs on H2 (embedded default) and PostgreSQL (production).

CREATE TABLE accounts (
    id            VARCHAR(36)   NOT NULL PRIMARY KEY,
    currency_code CHAR(3)       NOT NULL,
    credit_limit  NUMERIC(24, 9) NOT NULL,
    held          NUMERIC(24, 9) NOT NULL,
    captured      NUMERIC(24, 9) NOT NULL,
    state         VARCHAR(16)   NOT NULL,
    display_name  VARCHAR(200)  NOT NULL,
    create_time   TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    -- The last line of defence for the core invariant: never over-commit the credit limit.
    CONSTRAINT accounts_within_limit CHECK (held >= 0 AND captured >= 0 AND held + captured <= credit_limit)
);

CREATE TABLE authorizations (
    id                     VARCHAR(36)   NOT NULL PRIMARY KEY,
    account_id             VARCHAR(36)   NOT NULL REFERENCES accounts (id),
    amount                 NUMERIC(24, 9) NOT NULL,
    currency_code          CHAR(3)       NOT NULL,
    merchant_id            VARCHAR(64)   NOT NULL,
    merchant_category_code CHAR(4)       NOT NULL,
    state                  VARCHAR(16)   NOT NULL,
    decline_reason         VARCHAR(32),
    captured_amount        NUMERIC(24, 9),
    create_time            TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    update_time            TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    expire_time            TIMESTAMP(6) WITH TIME ZONE
);

-- ListAuthorizations pages newest first by (create_time, id); the velocity rule counts by time.
CREATE INDEX authorizations_by_account ON authorizations (account_id, create_time, id);
-- The hold expiry sweep looks for APPROVED holds past expire_time.
CREATE INDEX authorizations_by_expiry ON authorizations (state, expire_time);

CREATE TABLE idempotency_keys (
    scope        VARCHAR(64)   NOT NULL,
    idem_key     VARCHAR(255)  NOT NULL,
    method       VARCHAR(100)  NOT NULL,
    request_hash CHAR(64)      NOT NULL,
    response     VARCHAR(20000) NOT NULL,
    create_time  TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    expire_time  TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expire_time);
