DROP POLICY family_access_delete ON family_access;
CREATE POLICY family_access_delete ON family_access FOR DELETE
    USING (grantor_user_id = (SELECT auth.uid()));
