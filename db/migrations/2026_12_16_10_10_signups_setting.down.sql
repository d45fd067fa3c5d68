-- Sign-ups follow SPARKY_ALLOW_SIGNUP alone again.
DROP FUNCTION auth.admin_set_signups_closed(boolean);
DROP TABLE instance_settings;
