# Reference values for tests/services/compare/trial.test.ts: a trial-shaped data set (tests/fixtures/trial/*.csv,
# written by scripts/reference/trial_fixture.py: 240 patients randomised 1:1 to a transforaminal ESI or physical
# therapy for lumbar radiculopathy, pain NRS and ODI at baseline and five follow-ups, no pain duration, no MME),
# computed from the CSV files alone, independently of the product's import and derivation.
# Run: Rscript scripts/reference/trial_compare.R     (R 4.2.2, sandwich 3.0-2)
suppressPackageStartupMessages(library(sandwich))
options(digits = 17)
p <- function(label, v) cat(label, "=", format(unname(v), digits = 17), "\n")
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
dir <- file.path(here, "..", "..", "tests", "fixtures", "trial")
ep <- read.csv(file.path(dir, "episodes.csv")); ob <- read.csv(file.path(dir, "observations.csv")); pt <- read.csv(file.path(dir, "patients.csv"))
ob$date <- as.Date(ob$date); ep$start <- as.Date(ep$start_date)
pain <- merge(ob[ob$measure == "pain_nrs", ], ep[, c("episode_id", "care_path", "start", "patient_id")], by = c("episode_id", "patient_id"))
pain$day <- as.numeric(pain$date - pain$start)
# Baseline (domain.md): the last score in the 30 days up to and including the index date.
b <- pain[pain$day >= -30 & pain$day <= 0, ]; b <- b[order(b$episode_id, -b$day), ]; b <- b[!duplicated(b$episode_id), c("episode_id", "value")]
names(b)[2] <- "baseline"
# 3 months: days 64-135, the score nearest day 91, the earlier of two equally near.
f <- pain[pain$day >= 64 & pain$day <= 135, ]; f$dist <- abs(f$day - 91); f <- f[order(f$episode_id, f$dist, f$day), ]
f <- f[!duplicated(f$episode_id), c("episode_id", "value")]; names(f)[2] <- "followup"
d <- merge(merge(b, f, by = "episode_id"), ep[, c("episode_id", "care_path", "start", "patient_id")], by = "episode_id")
d <- merge(d, pt[, c("patient_id", "birth_date", "sex")], by = "patient_id")
d$change <- d$baseline - d$followup
d$path <- as.numeric(d$care_path == "interventional")
# Age on the index date in whole years.
bd <- as.Date(d$birth_date)
d$age <- as.numeric(format(d$start, "%Y")) - as.numeric(format(bd, "%Y")) - as.numeric(format(d$start, "%m-%d") < format(bd, "%m-%d"))
d$sex <- factor(d$sex, levels = c("female", "male"))
d <- d[order(d$episode_id), ]
p("n interventional", sum(d$path)); p("n conservative", sum(1 - d$path))

cat("## Crude: t.test(change ~ path, var.equal = FALSE), interventional - conservative\n")
tt <- t.test(d$change[d$path == 1], d$change[d$path == 0], var.equal = FALSE)
p("difference", tt$estimate[1] - tt$estimate[2]); p("conf.int", tt$conf.int); p("p", tt$p.value)

cat("## ANCOVA: lm(followup ~ path + baseline), path in change terms (sign reversed)\n")
a <- lm(followup ~ path + baseline, data = d)
p("estimate", -coef(a)["path"]); p("conf.int", -rev(confint(a)["path", ])); p("p", summary(a)$coefficients["path", 4])

cat("## Propensity model: glm(path ~ age + baseline + sex, binomial) (pain duration not recorded; one condition; no prior procedures)\n")
g <- glm(path ~ age + baseline + sex, family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
p("coef", coef(g))
ps <- fitted(g); pt1 <- mean(d$path)
sw <- ifelse(d$path == 1, pt1 / ps, (1 - pt1) / (1 - ps))
q <- quantile(sw, c(0.01, 0.99), type = 7)
swt <- pmin(pmax(sw, q[1]), q[2])
p("weight cuts", q)

cat("## IPW: lm(change ~ path, weights = swt), HC1, t on n - 2 df\n")
i <- lm(change ~ path, data = d, weights = swt)
se <- sqrt(vcovHC(i, type = "HC1")["path", "path"])
p("estimate", coef(i)["path"]); p("se", se); p("conf.int", coef(i)["path"] + c(-1, 1) * qt(0.975, i$df.residual) * se)

cat("## Doubly robust: lm(change ~ path + age + baseline + sex, weights = swt), HC1\n")
r <- lm(change ~ path + age + baseline + sex, data = d, weights = swt)
se <- sqrt(vcovHC(r, type = "HC1")["path", "path"])
p("estimate", coef(r)["path"]); p("se", se); p("conf.int", coef(r)["path"] + c(-1, 1) * qt(0.975, r$df.residual) * se)
