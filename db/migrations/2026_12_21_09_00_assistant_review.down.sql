-- Reverts 2026_12_21_09_00_assistant_review: proposals waiting for review are lost.
DROP TABLE assistant_proposals;
ALTER TABLE assistant_settings DROP COLUMN review_writes;
