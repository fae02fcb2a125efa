CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`user_id` integer,
	`username` text,
	`role` text,
	`action` text NOT NULL,
	`target` text,
	`outcome` text NOT NULL,
	`ip` text,
	`detail` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	CONSTRAINT "audit_log_outcome_enum" CHECK("audit_log"."outcome" IN ('success', 'failure', 'denied'))
);
--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
CREATE INDEX `audit_log_user_idx` ON `audit_log` (`user_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_log_action_idx` ON `audit_log` (`action`,`at`);--> statement-breakpoint
CREATE TABLE `login_throttle` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`first_failure_at` integer NOT NULL,
	`last_failure_at` integer NOT NULL,
	`locked_until` integer
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`ip` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`display_name` text,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`provider_id` integer,
	`dua_reference` text,
	`dua_recorded_at` text,
	`dua_expires_on` text,
	`disabled_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`password_changed_at` text NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "users_role_enum" CHECK("users"."role" IN ('physician', 'practice_manager', 'researcher', 'admin')),
	CONSTRAINT "users_username_format" CHECK("users"."username" GLOB '[a-z0-9]*' AND "users"."username" NOT GLOB '*[^a-z0-9._-]*' AND length("users"."username") BETWEEN 3 AND 64),
	CONSTRAINT "users_physician_has_provider" CHECK(("users"."role" = 'physician') = ("users"."provider_id" IS NOT NULL)),
	CONSTRAINT "users_dua_researcher_only" CHECK("users"."dua_reference" IS NULL OR "users"."role" = 'researcher'),
	CONSTRAINT "users_dua_complete" CHECK(("users"."dua_reference" IS NULL) = ("users"."dua_recorded_at" IS NULL)),
	CONSTRAINT "users_dua_expiry_iso" CHECK("users"."dua_expires_on" IS NULL OR "users"."dua_expires_on" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE INDEX `users_provider_idx` ON `users` (`provider_id`);