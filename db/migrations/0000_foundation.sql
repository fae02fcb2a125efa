CREATE TABLE `imports` (
	`id` integer PRIMARY KEY NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`status` text NOT NULL,
	`mode` text NOT NULL,
	`source` text NOT NULL,
	`user_id` integer,
	`pid` integer,
	`heartbeat_at` text,
	`batches_committed` integer DEFAULT 0 NOT NULL,
	`rows_inserted` integer DEFAULT 0 NOT NULL,
	`rows_updated` integer DEFAULT 0 NOT NULL,
	`rows_unchanged` integer DEFAULT 0 NOT NULL,
	`rows_rejected` integer DEFAULT 0 NOT NULL,
	`report` text,
	CONSTRAINT "imports_status_enum" CHECK("imports"."status" IN ('running', 'completed', 'completed_with_errors', 'rejected', 'interrupted')),
	CONSTRAINT "imports_mode_enum" CHECK("imports"."mode" IN ('partial', 'all_or_nothing'))
);
--> statement-breakpoint
CREATE TABLE `providers` (
	`id` integer PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`specialty` text,
	`site_id` integer,
	`import_id` integer,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "providers_name_nonempty" CHECK(length("providers"."name") > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `providers_key_unique` ON `providers` (`key`);--> statement-breakpoint
CREATE INDEX `providers_site_idx` ON `providers` (`site_id`);--> statement-breakpoint
CREATE TABLE `sites` (
	`id` integer PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`import_id` integer,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "sites_name_nonempty" CHECK(length("sites"."name") > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sites_key_unique` ON `sites` (`key`);--> statement-breakpoint
CREATE TABLE `patients` (
	`id` integer PRIMARY KEY NOT NULL,
	`mrn` text NOT NULL,
	`birth_date` text NOT NULL,
	`sex` text NOT NULL,
	`zip` text,
	`import_id` integer,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "patients_birth_date_iso" CHECK("patients"."birth_date" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	CONSTRAINT "patients_sex_enum" CHECK("patients"."sex" IN ('female', 'male', 'other', 'unknown')),
	CONSTRAINT "patients_zip_5_digits" CHECK("patients"."zip" IS NULL OR "patients"."zip" GLOB '[0-9][0-9][0-9][0-9][0-9]')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `patients_mrn_unique` ON `patients` (`mrn`);--> statement-breakpoint
CREATE TABLE `episodes` (
	`id` integer PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`patient_id` integer NOT NULL,
	`care_path` text NOT NULL,
	`condition_code` text NOT NULL,
	`condition_group` text NOT NULL,
	`region` text,
	`provider_id` integer NOT NULL,
	`site_id` integer NOT NULL,
	`start_date` text NOT NULL,
	`pain_duration_months` real,
	`import_id` integer,
	FOREIGN KEY (`patient_id`) REFERENCES `patients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "episodes_care_path_enum" CHECK("episodes"."care_path" IN ('interventional', 'conservative')),
	CONSTRAINT "episodes_condition_group_enum" CHECK("episodes"."condition_group" IN ('low_back_pain', 'radiculopathy', 'spinal_stenosis', 'facet_arthropathy', 'neck_pain', 'sacroiliac', 'crps', 'neuropathy', 'post_laminectomy', 'other')),
	CONSTRAINT "episodes_region_enum" CHECK("episodes"."region" IS NULL OR "episodes"."region" IN ('cervical', 'thoracic', 'lumbar', 'sacroiliac', 'peripheral', 'other')),
	CONSTRAINT "episodes_start_date_iso" CHECK("episodes"."start_date" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	CONSTRAINT "episodes_pain_duration_nonneg" CHECK("episodes"."pain_duration_months" IS NULL OR "episodes"."pain_duration_months" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `episodes_key_unique` ON `episodes` (`key`);--> statement-breakpoint
CREATE INDEX `episodes_patient_idx` ON `episodes` (`patient_id`,`start_date`);--> statement-breakpoint
CREATE INDEX `episodes_start_idx` ON `episodes` (`start_date`);--> statement-breakpoint
CREATE INDEX `episodes_provider_idx` ON `episodes` (`provider_id`,`start_date`);--> statement-breakpoint
CREATE INDEX `episodes_site_idx` ON `episodes` (`site_id`,`start_date`);--> statement-breakpoint
CREATE INDEX `episodes_condition_idx` ON `episodes` (`condition_group`,`care_path`);--> statement-breakpoint
CREATE TABLE `treatments` (
	`id` integer PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`episode_id` integer NOT NULL,
	`date` text NOT NULL,
	`category` text NOT NULL,
	`code` text,
	`laterality` text,
	`provider_id` integer,
	`complication` text,
	`import_id` integer,
	FOREIGN KEY (`episode_id`) REFERENCES `episodes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "treatments_date_iso" CHECK("treatments"."date" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	CONSTRAINT "treatments_category_enum" CHECK("treatments"."category" IN ('epidural_steroid_injection', 'facet_joint_injection', 'medial_branch_block', 'radiofrequency_ablation', 'sacroiliac_joint_injection', 'nerve_block', 'spinal_cord_stimulation', 'other_injection', 'medication', 'physical_therapy', 'exercise_program', 'heat_cold', 'psychological_therapy', 'usual_care')),
	CONSTRAINT "treatments_laterality_enum" CHECK("treatments"."laterality" IS NULL OR "treatments"."laterality" IN ('left', 'right', 'bilateral')),
	CONSTRAINT "treatments_complication_enum" CHECK("treatments"."complication" IS NULL OR "treatments"."complication" IN ('none', 'minor', 'major'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `treatments_key_unique` ON `treatments` (`key`);--> statement-breakpoint
CREATE INDEX `treatments_episode_idx` ON `treatments` (`episode_id`,`date`);--> statement-breakpoint
CREATE INDEX `treatments_date_idx` ON `treatments` (`date`,`category`);--> statement-breakpoint
CREATE INDEX `treatments_code_idx` ON `treatments` (`code`,`date`);--> statement-breakpoint
CREATE INDEX `treatments_provider_idx` ON `treatments` (`provider_id`,`date`);--> statement-breakpoint
CREATE TABLE `observations` (
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
	CONSTRAINT "observations_date_iso" CHECK("observations"."date" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	CONSTRAINT "observations_measure_enum" CHECK("observations"."measure" IN ('pain_nrs', 'odi', 'promis_pi', 'promis_pf', 'mme')),
	CONSTRAINT "observations_value_range" CHECK(CASE "observations"."measure"
        WHEN 'pain_nrs' THEN "observations"."value" BETWEEN 0 AND 10
        WHEN 'odi' THEN "observations"."value" BETWEEN 0 AND 100
        WHEN 'promis_pi' THEN "observations"."value" BETWEEN 20 AND 80
        WHEN 'promis_pf' THEN "observations"."value" BETWEEN 20 AND 80
        WHEN 'mme' THEN "observations"."value" >= 0
        ELSE 0 END)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `observations_natural_key` ON `observations` (`patient_id`,`measure`,`date`);--> statement-breakpoint
CREATE UNIQUE INDEX `observations_key_unique` ON `observations` (`key`) WHERE "observations"."key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `observations_episode_idx` ON `observations` (`episode_id`);