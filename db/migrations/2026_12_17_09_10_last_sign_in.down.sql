-- Sign-ins are no longer recorded on the account.
DROP TRIGGER sessions_stamp_sign_in ON sessions;
DROP FUNCTION auth.stamp_sign_in();
ALTER TABLE users DROP COLUMN last_sign_in_at;
