-- Consistency of the derived outcome tables (docs/decisions/005-derived-outcomes.md).
--
-- Inserts need no trigger: rows above their table's mark in outcome_marks are
-- new, and the refresh finds them by id (SQLite gives a new row max(id) + 1,
-- so they land above the mark). That keeps the import path free of per-row
-- trigger work. Writers therefore let SQLite choose ids (the record store
-- does) or choose ids above every existing one.
--
-- Updates and deletes queue the episodes they affect, in the writer's own
-- transaction. They use ON CONFLICT DO NOTHING rather than INSERT OR IGNORE:
-- a conflict clause of the statement that fires a trigger (the record store's
-- upsert) overrides OR IGNORE inside it, and a duplicate would fail the write. A REPLACE conflict resolution would delete rows without firing
-- the delete triggers (SQLite fires them only with recursive_triggers): writers
-- upsert with ON CONFLICT DO UPDATE (server/services/records/store.ts).

-- Marks at 0: on the first refresh every existing record is new.
INSERT INTO `outcome_marks` (`source`, `last_id`) VALUES ('episodes', 0), ('treatments', 0), ('observations', 0);
--> statement-breakpoint

CREATE TRIGGER `outcome_observations_update` AFTER UPDATE OF patient_id, episode_id, date, measure, value ON `observations`
WHEN old.patient_id IS NOT new.patient_id OR old.episode_id IS NOT new.episode_id OR old.date IS NOT new.date
  OR old.measure IS NOT new.measure OR old.value IS NOT new.value
BEGIN
  INSERT INTO outcome_queue (episode_id) SELECT old.episode_id WHERE old.episode_id IS NOT NULL ON CONFLICT DO NOTHING;
  INSERT INTO outcome_queue (episode_id) SELECT new.episode_id WHERE new.episode_id IS NOT NULL ON CONFLICT DO NOTHING;
END;
--> statement-breakpoint
-- Deleting the top rows lowers the mark to the new maximum id, so that a new
-- row reusing such an id is still above it.
CREATE TRIGGER `outcome_observations_delete` AFTER DELETE ON `observations`
BEGIN
  INSERT INTO outcome_queue (episode_id) SELECT old.episode_id WHERE old.episode_id IS NOT NULL ON CONFLICT DO NOTHING;
  UPDATE outcome_marks SET last_id = (SELECT coalesce(max(id), 0) FROM observations)
  WHERE source = 'observations' AND last_id > (SELECT coalesce(max(id), 0) FROM observations);
END;
--> statement-breakpoint

-- A treatment also changes its patient's other episodes (prior and repeat procedures).
CREATE TRIGGER `outcome_treatments_update` AFTER UPDATE OF episode_id, date, category, code, complication ON `treatments`
WHEN old.episode_id IS NOT new.episode_id OR old.date IS NOT new.date OR old.category IS NOT new.category
  OR old.code IS NOT new.code OR old.complication IS NOT new.complication
BEGIN
  INSERT INTO outcome_queue (episode_id)
  SELECT e2.id FROM episodes e1 JOIN episodes e2 ON e2.patient_id = e1.patient_id WHERE e1.id IN (old.episode_id, new.episode_id) ON CONFLICT DO NOTHING;
END;
--> statement-breakpoint
CREATE TRIGGER `outcome_treatments_delete` AFTER DELETE ON `treatments`
BEGIN
  INSERT INTO outcome_queue (episode_id)
  SELECT e2.id FROM episodes e1 JOIN episodes e2 ON e2.patient_id = e1.patient_id WHERE e1.id = old.episode_id ON CONFLICT DO NOTHING;
  UPDATE outcome_marks SET last_id = (SELECT coalesce(max(id), 0) FROM treatments)
  WHERE source = 'treatments' AND last_id > (SELECT coalesce(max(id), 0) FROM treatments);
END;
--> statement-breakpoint

-- An episode's patient and region decide which procedures are prior or repeat
-- procedures of its patient's other episodes: queue them all (episode updates are rare).
CREATE TRIGGER `outcome_episodes_update` AFTER UPDATE OF id, patient_id, care_path, condition_code, condition_group, region, provider_id, site_id, start_date, pain_duration_months ON `episodes`
WHEN old.id IS NOT new.id OR old.patient_id IS NOT new.patient_id OR old.care_path IS NOT new.care_path
  OR old.condition_code IS NOT new.condition_code OR old.condition_group IS NOT new.condition_group
  OR old.region IS NOT new.region OR old.provider_id IS NOT new.provider_id OR old.site_id IS NOT new.site_id
  OR old.start_date IS NOT new.start_date OR old.pain_duration_months IS NOT new.pain_duration_months
BEGIN
  INSERT INTO outcome_queue (episode_id) VALUES (old.id) ON CONFLICT DO NOTHING;
  INSERT INTO outcome_queue (episode_id) SELECT id FROM episodes WHERE patient_id IN (old.patient_id, new.patient_id) ON CONFLICT DO NOTHING;
END;
--> statement-breakpoint
CREATE TRIGGER `outcome_episodes_delete` AFTER DELETE ON `episodes`
BEGIN
  INSERT INTO outcome_queue (episode_id) VALUES (old.id) ON CONFLICT DO NOTHING;
  INSERT INTO outcome_queue (episode_id) SELECT id FROM episodes WHERE patient_id = old.patient_id ON CONFLICT DO NOTHING;
  UPDATE outcome_marks SET last_id = (SELECT coalesce(max(id), 0) FROM episodes)
  WHERE source = 'episodes' AND last_id > (SELECT coalesce(max(id), 0) FROM episodes);
END;
--> statement-breakpoint

-- Age and sex are repeated on every derived row.
CREATE TRIGGER `outcome_patients_update` AFTER UPDATE OF birth_date, sex ON `patients`
WHEN old.birth_date IS NOT new.birth_date OR old.sex IS NOT new.sex
BEGIN
  INSERT INTO outcome_queue (episode_id) SELECT id FROM episodes WHERE patient_id = new.id ON CONFLICT DO NOTHING;
END;
