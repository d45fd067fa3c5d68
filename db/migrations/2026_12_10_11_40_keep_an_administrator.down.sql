-- The last administrator may be removed again.
DROP TRIGGER users_keep_an_administrator_update ON users;
DROP TRIGGER users_keep_an_administrator_delete ON users;
DROP FUNCTION auth.keep_an_administrator();
