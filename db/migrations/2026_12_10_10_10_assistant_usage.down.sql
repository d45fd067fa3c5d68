-- Back to summing the daily token budget from chat messages.
DROP TRIGGER chat_messages_usage ON chat_messages;
DROP FUNCTION public.assistant_usage_count();
DROP TABLE assistant_usage;
