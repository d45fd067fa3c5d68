DROP FUNCTION auth.purge_login_attempts();
DROP FUNCTION auth.note_login_attempt(text[], integer[]);
DROP TABLE auth.login_attempts;
