-- One active weight goal per user. weight_loss, muscle_gain and weight_target all aim the same
-- weight somewhere: two active at once (allowed because they are different types) told the
-- user two targets, and the Goals page showed only one of them.
--
-- Where a user has several active, the newest stays active and the others are paused (kept as
-- history, resumable once the other is paused or completed).
-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner sees no
-- row, and the index below then fails on the duplicates).
ALTER TABLE goals NO FORCE ROW LEVEL SECURITY;
UPDATE goals g
SET status = 'paused'
WHERE g.status = 'active'
  AND g.type IN ('weight_loss', 'muscle_gain', 'weight_target')
  AND EXISTS (
      SELECT 1 FROM goals newer
      WHERE newer.user_id = g.user_id
        AND newer.status = 'active'
        AND newer.type IN ('weight_loss', 'muscle_gain', 'weight_target')
        AND (coalesce(newer.created_at, '-infinity'), newer.id)
            > (coalesce(g.created_at, '-infinity'), g.id));

ALTER TABLE goals FORCE ROW LEVEL SECURITY;

CREATE UNIQUE INDEX idx_goals_one_active_weight_goal ON goals (user_id)
    WHERE status = 'active' AND type IN ('weight_loss', 'muscle_gain', 'weight_target');
