-- A treatment's laterality and provider are read by the derived figures too (the analytic store's
-- treatment columns: Operations' sessions and payer rules count sides, its volume by provider counts
-- the treatment's provider). The update trigger of 0002 listed neither, so a correction of either
-- alone left the derived rows, and the store that follows their change log, with the old value.
-- The trigger now fires on every column a derived figure reads.
DROP TRIGGER IF EXISTS `outcome_treatments_update`;
--> statement-breakpoint
CREATE TRIGGER `outcome_treatments_update` AFTER UPDATE OF episode_id, date, category, code, laterality, provider_id, complication ON `treatments`
WHEN old.episode_id IS NOT new.episode_id OR old.date IS NOT new.date OR old.category IS NOT new.category
  OR old.code IS NOT new.code OR old.laterality IS NOT new.laterality OR old.provider_id IS NOT new.provider_id
  OR old.complication IS NOT new.complication
BEGIN
  INSERT INTO outcome_queue (episode_id)
  SELECT e2.id FROM episodes e1 JOIN episodes e2 ON e2.patient_id = e1.patient_id WHERE e1.id IN (old.episode_id, new.episode_id) ON CONFLICT DO NOTHING;
END;
