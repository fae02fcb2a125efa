CREATE TABLE `outcome_changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`episode_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outcome_episodes` (
	`episode_id` integer PRIMARY KEY NOT NULL,
	`patient_id` integer NOT NULL,
	`index_date` text NOT NULL,
	`index_day` integer NOT NULL,
	`index_month` integer NOT NULL,
	`index_quarter` integer NOT NULL,
	`index_year` integer NOT NULL,
	`care_path` text NOT NULL,
	`category` text,
	`code` text,
	`cpt_family` text,
	`condition_group` text NOT NULL,
	`region` text,
	`provider_id` integer NOT NULL,
	`site_id` integer NOT NULL,
	`age_band` text NOT NULL,
	`sex` text NOT NULL,
	`condition_code` text NOT NULL,
	`age` integer NOT NULL,
	`pain_duration_months` real,
	`chronic` integer,
	`primary_day` integer,
	`prior_procedures` integer NOT NULL,
	`treatments` integer NOT NULL,
	`procedures` integer NOT NULL,
	`procedure_sessions` integer NOT NULL,
	`repeat_day` integer,
	`complications_minor` integer NOT NULL,
	`complications_major` integer NOT NULL,
	`last_follow_up_day` integer
);
--> statement-breakpoint
CREATE TABLE `outcome_marks` (
	`source` text PRIMARY KEY NOT NULL,
	`last_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outcome_measures` (
	`id` integer PRIMARY KEY NOT NULL,
	`measure` text NOT NULL,
	`episode_id` integer NOT NULL,
	`index_day` integer NOT NULL,
	`index_month` integer NOT NULL,
	`index_quarter` integer NOT NULL,
	`index_year` integer NOT NULL,
	`care_path` text NOT NULL,
	`category` text,
	`code` text,
	`cpt_family` text,
	`condition_group` text NOT NULL,
	`region` text,
	`provider_id` integer NOT NULL,
	`site_id` integer NOT NULL,
	`age_band` text NOT NULL,
	`sex` text NOT NULL,
	`baseline_value` real,
	`baseline_day` integer,
	`w2_value` real,
	`w2_day` integer,
	`w2_change` real,
	`w2_pct30` integer,
	`w2_pct50` integer,
	`w2_mcid` integer,
	`w2_pain_free` integer,
	`w2_stopped` integer,
	`w6_value` real,
	`w6_day` integer,
	`w6_change` real,
	`w6_pct30` integer,
	`w6_pct50` integer,
	`w6_mcid` integer,
	`w6_pain_free` integer,
	`w6_stopped` integer,
	`m3_value` real,
	`m3_day` integer,
	`m3_change` real,
	`m3_pct30` integer,
	`m3_pct50` integer,
	`m3_mcid` integer,
	`m3_pain_free` integer,
	`m3_stopped` integer,
	`m6_value` real,
	`m6_day` integer,
	`m6_change` real,
	`m6_pct30` integer,
	`m6_pct50` integer,
	`m6_mcid` integer,
	`m6_pain_free` integer,
	`m6_stopped` integer,
	`m12_value` real,
	`m12_day` integer,
	`m12_change` real,
	`m12_pct30` integer,
	`m12_pct50` integer,
	`m12_mcid` integer,
	`m12_pain_free` integer,
	`m12_stopped` integer,
	`response_day` integer,
	`loss_day` integer,
	`last_follow_up_day` integer
);
--> statement-breakpoint
CREATE TABLE `outcome_queue` (
	`episode_id` integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outcome_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
