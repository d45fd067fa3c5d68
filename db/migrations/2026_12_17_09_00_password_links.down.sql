-- Password links go; accounts keep the passwords set through them.
DROP FUNCTION auth.use_password_link(text, text);
DROP FUNCTION auth.password_link(text);
DROP FUNCTION auth.admin_make_password_link(uuid, text, interval);
DROP TABLE password_links;
