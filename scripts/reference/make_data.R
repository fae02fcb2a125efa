# Generates the input data sets that the reference scripts and tests/stats share.
# Values are rounded so that the CSV text is the exact input on both sides.
# Run: Rscript scripts/reference/make_data.R   (writes scripts/reference/inputs/*.csv)
# R 4.2.2. The data are synthetic; their only purpose is to exercise the code.

out <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "inputs")
dir.create(out, showWarnings = FALSE)

# Episodes for ANCOVA, the propensity model and weighting (n = 150).
set.seed(20261124)
n <- 150
age <- round(runif(n, 25, 85))
sex <- rbinom(n, 1, 0.55)                      # 1 = female
baseline <- round(pmin(10, pmax(2, rnorm(n, 6.5, 1.6))))
condition <- sample(0:2, n, replace = TRUE, prob = c(0.5, 0.3, 0.2))  # 0 radiculopathy, 1 facet, 2 stenosis
duration <- round(rexp(n, 1 / 14), 1)         # months of pain before index
prior <- rpois(n, 0.8)                         # prior procedures
lp <- -3.2 + 0.02 * age + 0.3 * sex + 0.35 * baseline + 0.5 * (condition == 1) - 0.4 * (condition == 2) +
  0.01 * duration + 0.25 * prior
path <- rbinom(n, 1, plogis(lp))               # 1 = interventional
followup <- round(pmin(10, pmax(0, baseline - 1.2 - 1.1 * path - 0.1 * (baseline - 6.5) + rnorm(n, 0, 1.7))), 1)
responder <- as.integer((baseline - followup) / baseline >= 0.3)
# Propensity score from the model the product fits, rounded: the input of the weighting and matching tests.
ps <- round(fitted(glm(path ~ age + sex + baseline + factor(condition) + duration + prior, family = binomial)), 8)
episodes <- data.frame(age, sex, baseline, condition, duration, prior, path, followup, responder, ps)
write.csv(episodes, file.path(out, "episodes.csv"), row.names = FALSE)

# Durability: time to loss of response (days), three groups, ties, censoring.
set.seed(7)
m <- 60
group <- rep(0:2, c(25, 20, 15))
t <- round(c(rexp(25, 1 / 150), rexp(20, 1 / 260), rep(NA, 15)))
t[46:60] <- round(runif(15, 30, 400))
cens <- round(runif(m, 60, 420))
time <- pmax(1, ifelse(is.na(t), cens, pmin(t, cens)))
event <- ifelse(group == 2, 0L, as.integer(t <= cens))  # group 2: no events at all
time <- round(time / 7) * 7                              # weekly visits make ties
time[time == 0] <- 7
durability <- data.frame(time, event, group)
write.csv(durability, file.path(out, "durability.csv"), row.names = FALSE)
cat("wrote", out, "\n")
