-- Migration: a family member sees someone's weight goals only when they may see their weight.
--
-- A weight goal's start_value is the weight on the day it was set, and its target a weight:
-- a 'calorie' grantee, who cannot read measurements, read the grantor's weight there. Weight
-- goals now follow measurements ('checkin' or 'reports' grantees); the daily targets stay with
-- the diary ('calorie' or 'reports'), as before.
DROP POLICY goals_select ON goals;
CREATE POLICY goals_select ON goals FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = ANY (
                             CASE WHEN goals.type IN ('weight_loss', 'muscle_gain', 'weight_target')
                                  THEN ARRAY['checkin', 'reports']
                                  ELSE ARRAY['calorie', 'reports'] END))
    );
