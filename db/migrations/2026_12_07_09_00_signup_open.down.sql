DROP FUNCTION auth.signup_open(boolean);
