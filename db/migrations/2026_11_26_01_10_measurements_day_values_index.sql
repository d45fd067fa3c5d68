-- sparky:no-transaction
-- Daily water sums and the day's last weight (the summary) read only these columns: with the
-- value in the index they come from the index alone, in (type, day, time) order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_measurements_user_type_entry_date ON measurements (user_id, type, entry_date, measured_at)
    INCLUDE (value);
