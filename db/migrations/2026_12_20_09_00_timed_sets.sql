-- Migration: timed sets
--
-- A set held reps and a weight only, so a plank's 3 × 60 s, a dead hang or a farmer's carry
-- could only be logged as the workout's duration, and the importers summed Strong's, Hevy's and
-- FitNotes' per-set seconds into it. A set now keeps its own time. No data step: existing sets
-- have none.

ALTER TABLE exercise_sets ADD COLUMN duration_seconds integer
    CONSTRAINT exercise_sets_duration_seconds_check CHECK (duration_seconds BETWEEN 1 AND 86400);
COMMENT ON COLUMN exercise_sets.duration_seconds IS
    'Seconds the set took (a hold, a carry); NULL for a set of reps';
