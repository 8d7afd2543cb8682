-- Accounts belong to the subject (JWT "sub") that created them. Accounts created before
-- ownership existed go to the configured legacy owner (flyway placeholder legacy-owner,
-- PAYGATE_LEGACY_OWNER): a token with that sub reaches them. Portable: H2 and PostgreSQL.

ALTER TABLE accounts ADD COLUMN owner VARCHAR(255);
UPDATE accounts SET owner = '${legacy-owner}';
ALTER TABLE accounts ALTER COLUMN owner SET NOT NULL;

-- CreateAccount keys are scoped per owner ("owner:" + sub, up to 261 characters).
ALTER TABLE idempotency_keys ALTER COLUMN scope SET DATA TYPE VARCHAR(300);
