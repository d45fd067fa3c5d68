-- Back to every goal following the diary grants.
DROP POLICY goals_select ON goals;
CREATE POLICY goals_select ON goals FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
