DROP FUNCTION public.food_search_candidates(text, text, text, integer, boolean);
