PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_observations` (
	`id` integer PRIMARY KEY NOT NULL,
	`key` text,
	`patient_id` integer NOT NULL,
	`episode_id` integer,
	`episode_by_date` integer DEFAULT 0 NOT NULL,
	`date` text NOT NULL,
	`measure` text NOT NULL,
	`value` real NOT NULL,
	`import_id` integer,
	FOREIGN KEY (`patient_id`) REFERENCES `patients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`episode_id`) REFERENCES `episodes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "observations_date_iso" CHECK("__new_observations"."date" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	CONSTRAINT "observations_measure_enum" CHECK(("__new_observations"."measure" = 'pain_nrs' OR "__new_observations"."measure" = 'odi' OR "__new_observations"."measure" = 'promis_pi' OR "__new_observations"."measure" = 'promis_pf' OR "__new_observations"."measure" = 'mme')),
	CONSTRAINT "observations_value_range" CHECK(CASE "__new_observations"."measure"
        WHEN 'pain_nrs' THEN "__new_observations"."value" BETWEEN 0 AND 10
        WHEN 'odi' THEN "__new_observations"."value" BETWEEN 0 AND 100
        WHEN 'promis_pi' THEN "__new_observations"."value" BETWEEN 20 AND 80
        WHEN 'promis_pf' THEN "__new_observations"."value" BETWEEN 20 AND 80
        WHEN 'mme' THEN "__new_observations"."value" >= 0
        ELSE 0 END)
);
--> statement-breakpoint
INSERT INTO `__new_observations`("id", "key", "patient_id", "episode_id", "episode_by_date", "date", "measure", "value", "import_id") SELECT "id", "key", "patient_id", "episode_id", "episode_by_date", "date", "measure", "value", "import_id" FROM `observations`;--> statement-breakpoint
DROP TABLE `observations`;--> statement-breakpoint
ALTER TABLE `__new_observations` RENAME TO `observations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `observations_natural_key` ON `observations` (`patient_id`,`measure`,`date`);--> statement-breakpoint
CREATE UNIQUE INDEX `observations_key_unique` ON `observations` (`key`) WHERE "observations"."key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `observations_episode_idx` ON `observations` (`episode_id`);--> statement-breakpoint
-- Rebuilding the table dropped its triggers (0002_outcome_triggers.sql): the same again.
CREATE TRIGGER `outcome_observations_update` AFTER UPDATE OF patient_id, episode_id, date, measure, value ON `observations`
WHEN old.patient_id IS NOT new.patient_id OR old.episode_id IS NOT new.episode_id OR old.date IS NOT new.date
  OR old.measure IS NOT new.measure OR old.value IS NOT new.value
BEGIN
  INSERT INTO outcome_queue (episode_id) SELECT old.episode_id WHERE old.episode_id IS NOT NULL ON CONFLICT DO NOTHING;
  INSERT INTO outcome_queue (episode_id) SELECT new.episode_id WHERE new.episode_id IS NOT NULL ON CONFLICT DO NOTHING;
END;
--> statement-breakpoint
CREATE TRIGGER `outcome_observations_delete` AFTER DELETE ON `observations`
BEGIN
  INSERT INTO outcome_queue (episode_id) SELECT old.episode_id WHERE old.episode_id IS NOT NULL ON CONFLICT DO NOTHING;
  UPDATE outcome_marks SET last_id = (SELECT coalesce(max(id), 0) FROM observations)
  WHERE source = 'observations' AND last_id > (SELECT coalesce(max(id), 0) FROM observations);
END;
