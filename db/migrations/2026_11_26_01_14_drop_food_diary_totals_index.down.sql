CREATE INDEX IF NOT EXISTS idx_food_diary_user_entry_date_totals ON food_diary (user_id, entry_date)
    INCLUDE (calories, protein, carbohydrates, fat, fiber, sugar, sodium, saturated_fat, trans_fat,
             cholesterol, potassium, calcium, iron, vitamin_a, vitamin_c);
