# Reference values for tests/stats/factor-regression.test.ts: the Compare page's propensity model and
# doubly robust outcome model, fitted with the factor-grouped kernels of server/stats/factor-regression.ts.
# Run: Rscript scripts/reference/compare_regression.R     (R 4.2.2, sandwich 3.0-2)
# Inputs: scripts/reference/inputs/episodes.csv (the same 150 episodes as regression.R / weighting.R).
suppressPackageStartupMessages(library(sandwich))
options(digits = 17)
p <- function(label, v) cat(label, "=", format(unname(v), digits = 17), "\n")
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "inputs", "episodes.csv"))
d$cond <- factor(d$condition, levels = 0:2)
ctl <- glm.control(epsilon = 1e-14, maxit = 100)

cat("## Propensity model: glm(path ~ age + sex + baseline + duration + prior + cond, binomial)\n")
g <- glm(path ~ age + sex + baseline + duration + prior + cond, family = binomial, data = d, control = ctl)
sg <- summary(g)
p("coef", coef(g)); p("se", sg$coefficients[, 2])
p("deviance", deviance(g)); p("null.deviance", g$null.deviance)
p("fitted[1:5]", fitted(g)[1:5])
p("HC1 se", sqrt(diag(vcovHC(g, type = "HC1"))))

cat("## Reference level 2: glm(path ~ age + baseline + relevel(cond, '2'), binomial)\n")
g2 <- glm(path ~ age + baseline + relevel(cond, "2"), family = binomial, data = d, control = ctl)
p("coef", coef(g2)); p("se", summary(g2)$coefficients[, 2])

cat("## Weighted logistic: glm(path ~ baseline + cond, binomial, weights = 1 + duration/10)\n")
w <- 1 + d$duration / 10
gw <- suppressWarnings(glm(path ~ baseline + cond, family = binomial, data = d, weights = w, control = ctl))
p("coef", coef(gw)); p("se", summary(gw)$coefficients[, 2]); p("deviance", deviance(gw))

cat("## Doubly robust outcome model: lm(followup ~ path + age + sex + baseline + duration + prior + cond, weights = swt), HC1\n")
ps <- fitted(g); t <- d$path; pt1 <- mean(t)
sw <- ifelse(t == 1, pt1 / ps, (1 - pt1) / (1 - ps))
q <- quantile(sw, c(0.01, 0.99), type = 7)
swt <- pmin(pmax(sw, q[1]), q[2])
f <- lm(followup ~ path + age + sex + baseline + duration + prior + cond, data = d, weights = swt)
p("coef", coef(f))
p("classical se", summary(f)$coefficients[, 2])
p("HC0 se", sqrt(diag(vcovHC(f, type = "HC0"))))
p("HC1 se", sqrt(diag(vcovHC(f, type = "HC1"))))
p("sigma", summary(f)$sigma); p("r.squared", summary(f)$r.squared)
p("confint path (HC1, t df)", coef(f)["path"] + c(-1, 1) * qt(0.975, f$df.residual) * sqrt(vcovHC(f, type = "HC1")["path", "path"]))

cat("## ANCOVA with the factor, unweighted: lm(followup ~ path + baseline + cond)\n")
fa <- lm(followup ~ path + baseline + cond, data = d)
p("coef", coef(fa)); p("se", summary(fa)$coefficients[, 2])
