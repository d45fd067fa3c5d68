-- Forgets what pushed health records became (the measurements and workouts stay).
DROP TABLE health_data_records;
