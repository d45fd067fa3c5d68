-- Password links can no longer be asked for by e-mail (administrators still make them).
DROP FUNCTION auth.request_password_link(text, text, interval);
