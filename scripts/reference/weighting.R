# Reference values for tests/stats/weighting.test.ts (weights, weighted means, SMDs, ESS,
# the IPW-weighted outcome regression with sandwich SEs, and 1:1 caliper matching).
# Run: Rscript scripts/reference/weighting.R     (R 4.2.2, sandwich 3.0-2)
# There is no cobalt/WeightIt/MatchIt on this machine: weights and SMDs are written out with
# base R's quantile(type 7), weighted.mean, var, cov.wt; matching with a brute-force O(n^2)
# implementation of the same greedy rule, independent of the TypeScript one.
suppressPackageStartupMessages(library(sandwich))
options(digits = 17)
p <- function(label, v) cat(label, "=", format(unname(v), digits = 17), "\n")
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "inputs", "episodes.csv"))
t <- d$path; ps <- d$ps

pt1 <- mean(t)
sw <- ifelse(t == 1, pt1 / ps, (1 - pt1) / (1 - ps))
p("stabilised sw[1:4]", sw[1:4]); p("sum(sw)", sum(sw)); p("range(sw)", range(sw))
q <- quantile(sw, c(0.01, 0.99), type = 7)
p("quantile(sw, c(.01, .99))", q)
swt <- pmin(pmax(sw, q[1]), q[2])
p("n truncated", sum(sw < q[1] | sw > q[2])); p("sum(swt)", sum(swt))
p("quantile(sw, c(.05, .95))", quantile(sw, c(0.05, 0.95)))

smd <- function(x, w, binary = FALSE, wden = FALSE) {
  x1 <- x[t == 1]; x0 <- x[t == 0]; w1 <- w[t == 1]; w0 <- w[t == 0]
  m1 <- weighted.mean(x1, w1); m0 <- weighted.mean(x0, w0)
  if (binary) {
    a <- if (wden) m1 else mean(x1); b <- if (wden) m0 else mean(x0)
    s <- sqrt((a * (1 - a) + b * (1 - b)) / 2)
  } else if (wden) {
    v1 <- cov.wt(cbind(x1), wt = w1 / sum(w1), method = "unbiased")$cov[1, 1]
    v0 <- cov.wt(cbind(x0), wt = w0 / sum(w0), method = "unbiased")$cov[1, 1]
    s <- sqrt((v1 + v0) / 2)
  } else s <- sqrt((var(x1) + var(x0)) / 2)
  (m1 - m0) / s
}
one <- rep(1, nrow(d))
for (v in c("age", "baseline", "duration", "prior")) {
  x <- d[[v]]
  p(paste("smd", v, "unweighted / weighted(swt) / weighted denominator"), c(smd(x, one), smd(x, swt), smd(x, swt, wden = TRUE)))
  p(paste("weighted.mean", v, "treated / control"), c(weighted.mean(x[t == 1], swt[t == 1]), weighted.mean(x[t == 0], swt[t == 0])))
}
for (v in c("sex")) {
  x <- d[[v]]
  p(paste("smd binary", v, "unweighted / weighted(swt) / weighted denominator"), c(smd(x, one, TRUE), smd(x, swt, TRUE), smd(x, swt, TRUE, TRUE)))
}
c1 <- as.integer(d$condition == 1)
p("smd binary condition==1 unweighted / weighted", c(smd(c1, one, TRUE), smd(c1, swt, TRUE)))
p("cov.wt(cbind(baseline), wt = swt/sum(swt), method='unbiased')", cov.wt(cbind(d$baseline), wt = swt / sum(swt), method = "unbiased")$cov[1, 1])
ess <- function(w) sum(w)^2 / sum(w^2)
p("ESS treated / control / all (swt)", c(ess(swt[t == 1]), ess(swt[t == 0]), ess(swt)))

p("range(ps[t == 1]) / range(ps[t == 0])", c(range(ps[t == 1]), range(ps[t == 0])))
lo <- max(min(ps[t == 1]), min(ps[t == 0])); hi <- min(max(ps[t == 1]), max(ps[t == 0]))
p("outside common support: treated / control", c(sum(t == 1 & (ps < lo | ps > hi)), sum(t == 0 & (ps < lo | ps > hi))))
cat("## IPW outcome model: lm(followup ~ path, weights = swt), sandwich HC0/HC1\n")
f <- lm(followup ~ path, data = d, weights = swt)
p("coef", coef(f)); p("HC0 se", sqrt(diag(vcovHC(f, type = "HC0")))); p("HC1 se", sqrt(diag(vcovHC(f, type = "HC1"))))

cat("## 1:1 greedy nearest-neighbour matching on logit(ps), caliper 0.2 pooled SD, largest ps first\n")
lg <- log(ps / (1 - ps))
cal <- 0.2 * sqrt((var(lg[t == 1]) + var(lg[t == 0])) / 2)
p("caliper", cal)
match_ref <- function(lg, ps, t, cal) {
  tr <- which(t == 1); co <- which(t == 0)
  tr <- tr[order(-ps[tr], tr)]
  used <- rep(FALSE, length(t)); pairs <- NULL
  for (i in tr) {
    cand <- co[!used[co]]
    if (length(cand) == 0) next
    dist <- abs(lg[cand] - lg[i])
    best <- cand[dist == min(dist)]
    j <- min(best)
    if (abs(lg[j] - lg[i]) <= cal) { used[j] <- TRUE; pairs <- rbind(pairs, c(i, j)) }
  }
  pairs
}
pr <- match_ref(lg, ps, t, cal)
cat("pairs (0-based treated,control) =", paste(apply(pr - 1, 1, paste, collapse = ","), collapse = " "), "\n")
p("n pairs", nrow(pr))
m <- c(pr[, 1], pr[, 2])
tm <- t[m]
p("matched smd age / baseline (pooled SD of matched sample)", c(
  (mean(d$age[pr[, 1]]) - mean(d$age[pr[, 2]])) / sqrt((var(d$age[pr[, 1]]) + var(d$age[pr[, 2]])) / 2),
  (mean(d$baseline[pr[, 1]]) - mean(d$baseline[pr[, 2]])) / sqrt((var(d$baseline[pr[, 1]]) + var(d$baseline[pr[, 2]])) / 2)))
pr2 <- match_ref(lg, ps, t, 0.05)
cat("pairs caliper 0.05 (0-based) =", paste(apply(pr2 - 1, 1, paste, collapse = ","), collapse = " "), "\n")
