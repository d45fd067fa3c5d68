-- Back to day limits checked only before a write (two at once could pass them).
CREATE OR REPLACE FUNCTION public.food_diary_derived_insert()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    -- A sum stays NULL while nobody knows the nutrient: coalesce(old + new, old, new).
    INSERT INTO diary_day_totals AS t (user_id, entry_date, entries,
        calories, protein, carbohydrates, fat, fiber,
        sugar, sodium, saturated_fat, trans_fat, cholesterol,
        potassium, calcium, iron, vitamin_a, vitamin_c, workouts)
    SELECT n.user_id, n.entry_date, count(*)::integer,
           sum(n.calories), sum(n.protein), sum(n.carbohydrates), sum(n.fat), sum(n.fiber),
           sum(n.sugar), sum(n.sodium), sum(n.saturated_fat), sum(n.trans_fat), sum(n.cholesterol),
           sum(n.potassium), sum(n.calcium), sum(n.iron), sum(n.vitamin_a), sum(n.vitamin_c), 0
    FROM new_rows n
    GROUP BY n.user_id, n.entry_date
    ORDER BY n.user_id, n.entry_date
    ON CONFLICT (user_id, entry_date) DO UPDATE SET
        entries = t.entries + EXCLUDED.entries,
        calories = coalesce(t.calories + EXCLUDED.calories, t.calories, EXCLUDED.calories),
        protein = coalesce(t.protein + EXCLUDED.protein, t.protein, EXCLUDED.protein),
        carbohydrates = coalesce(t.carbohydrates + EXCLUDED.carbohydrates, t.carbohydrates, EXCLUDED.carbohydrates),
        fat = coalesce(t.fat + EXCLUDED.fat, t.fat, EXCLUDED.fat),
        fiber = coalesce(t.fiber + EXCLUDED.fiber, t.fiber, EXCLUDED.fiber),
        sugar = coalesce(t.sugar + EXCLUDED.sugar, t.sugar, EXCLUDED.sugar),
        sodium = coalesce(t.sodium + EXCLUDED.sodium, t.sodium, EXCLUDED.sodium),
        saturated_fat = coalesce(t.saturated_fat + EXCLUDED.saturated_fat, t.saturated_fat, EXCLUDED.saturated_fat),
        trans_fat = coalesce(t.trans_fat + EXCLUDED.trans_fat, t.trans_fat, EXCLUDED.trans_fat),
        cholesterol = coalesce(t.cholesterol + EXCLUDED.cholesterol, t.cholesterol, EXCLUDED.cholesterol),
        potassium = coalesce(t.potassium + EXCLUDED.potassium, t.potassium, EXCLUDED.potassium),
        calcium = coalesce(t.calcium + EXCLUDED.calcium, t.calcium, EXCLUDED.calcium),
        iron = coalesce(t.iron + EXCLUDED.iron, t.iron, EXCLUDED.iron),
        vitamin_a = coalesce(t.vitamin_a + EXCLUDED.vitamin_a, t.vitamin_a, EXCLUDED.vitamin_a),
        vitamin_c = coalesce(t.vitamin_c + EXCLUDED.vitamin_c, t.vitamin_c, EXCLUDED.vitamin_c);
    -- The row is locked even when it is not moved (an older created_at), keeping the lock order.
    INSERT INTO recent_foods AS r (user_id, food_item_id, last_logged_at)
    SELECT n.user_id, n.food_item_id, max(n.created_at)
    FROM new_rows n
    WHERE n.food_item_id IS NOT NULL
    GROUP BY n.user_id, n.food_item_id
    ORDER BY n.user_id, n.food_item_id
    ON CONFLICT (user_id, food_item_id) DO UPDATE SET last_logged_at = EXCLUDED.last_logged_at
        WHERE r.last_logged_at < EXCLUDED.last_logged_at;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION public.exercise_diary_derived_insert()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO diary_day_totals AS t (user_id, entry_date, entries, workouts, burned)
    SELECT n.user_id, n.entry_date, 0, count(*)::integer, sum(n.calories_burned)
    FROM new_rows n
    GROUP BY n.user_id, n.entry_date
    ORDER BY n.user_id, n.entry_date
    ON CONFLICT (user_id, entry_date) DO UPDATE SET
        workouts = t.workouts + EXCLUDED.workouts,
        burned = coalesce(t.burned + EXCLUDED.burned, t.burned, EXCLUDED.burned);
    RETURN NULL;
END
$$;
