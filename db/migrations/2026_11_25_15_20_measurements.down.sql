-- Rollback of 2026_11_25_15_20_measurements. Custom types go; values narrow back to the
-- seed's DECIMAL(10,2) (canonical units stay: kg, cm, ml, ...).
DROP TABLE measurement_types;

DROP TRIGGER measurements_fill_entry_date ON measurements;
DROP FUNCTION public.measurements_fill_entry_date();
DROP INDEX idx_measurements_user_entry_date;
ALTER TABLE measurements
    DROP CONSTRAINT measurements_value_check,
    DROP CONSTRAINT measurements_note_check,
    DROP COLUMN entry_date,
    DROP COLUMN note,
    ALTER COLUMN value TYPE numeric(10,2);
