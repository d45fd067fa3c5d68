-- Back to sets of reps and weight: their times are dropped.
ALTER TABLE exercise_sets DROP COLUMN duration_seconds;
