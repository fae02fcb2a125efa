CREATE TABLE `cohorts` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`definition` text NOT NULL,
	`revision` integer DEFAULT 1 NOT NULL,
	`created_by` integer,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`last_run` text,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "cohorts_name_length" CHECK(length("cohorts"."name") BETWEEN 1 AND 120),
	CONSTRAINT "cohorts_description_length" CHECK(length("cohorts"."description") <= 2000),
	CONSTRAINT "cohorts_definition_json" CHECK(json_valid("cohorts"."definition")),
	CONSTRAINT "cohorts_revision_positive" CHECK("cohorts"."revision" >= 1)
);
--> statement-breakpoint
CREATE INDEX `cohorts_updated_idx` ON `cohorts` (`updated_at`);