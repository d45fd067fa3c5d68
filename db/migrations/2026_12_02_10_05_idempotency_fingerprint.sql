-- An Idempotency-Key answers only the request it was first used with: a fingerprint of the
-- method, path, query and body is kept with the stored answer, and the same key with another
-- request is refused instead of answered with the first request's result.
ALTER TABLE idempotency_keys ADD COLUMN request_fingerprint text;
COMMENT ON COLUMN idempotency_keys.request_fingerprint IS
    'Hex SHA-256 of the request the key was first used with (method, path, query, body).';
