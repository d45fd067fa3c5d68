-- Back to refusing only a recipe in its own list.
DROP TRIGGER recipe_ingredients_no_cycles ON recipe_ingredients;
DROP FUNCTION public.recipe_ingredients_refuse_cycles();
