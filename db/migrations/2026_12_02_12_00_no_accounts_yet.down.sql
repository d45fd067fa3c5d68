DROP FUNCTION auth.no_accounts_yet();
