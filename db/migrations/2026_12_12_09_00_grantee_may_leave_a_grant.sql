-- A grant can be left by the person it was given to, not only withdrawn by the one who gave
-- it: someone shown another person's diary they did not ask for, or no longer want to see,
-- removes it themselves. Deleting only narrows what the grantee may do; creating stays the
-- grantor's alone, and no one updates a grant.
DROP POLICY family_access_delete ON family_access;
CREATE POLICY family_access_delete ON family_access FOR DELETE
    USING (grantor_user_id = (SELECT auth.uid()) OR grantee_user_id = (SELECT auth.uid()));
