-- Accounts are administered with `sparky user` only again.
DROP FUNCTION auth.admin_delete_account(uuid);
DROP FUNCTION auth.admin_update_account(uuid, boolean, boolean, text);
DROP FUNCTION auth.admin_create_account(text, text, text, boolean);
DROP FUNCTION auth.require_admin();
DROP POLICY users_admin_select ON users;
DROP FUNCTION auth.is_admin();
