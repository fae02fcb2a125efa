# Reference values for tests/stats/survival.test.ts.
# Run: Rscript scripts/reference/survival.R     (R 4.2.2, survival 3.5-3)
suppressPackageStartupMessages(library(survival))
options(digits = 17)
p <- function(label, v) cat(label, "=", format(unname(v), digits = 17), "\n")
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
cat("survival", as.character(packageVersion("survival")), "\n")

curve <- function(label, f) {
  cat("### ", label, "\n")
  p("time", f$time); p("n.risk", f$n.risk); p("n.event", f$n.event); p("n.censor", f$n.censor)
  p("surv", f$surv); p("std.err", f$std.err); p("lower", f$lower); p("upper", f$upper)
  tab <- summary(f)$table
  p("print: median, LCL, UCL", tab[c(grep("median", names(tab)), grep("LCL", names(tab)), grep("UCL", names(tab)))])
}

cat("## small data with ties\n")
t <- c(1, 2, 2, 3, 4, 4, 5, 6, 7, 8); e <- c(1, 1, 0, 1, 1, 1, 0, 1, 1, 1)
for (ct in c("log", "log-log", "plain")) curve(paste("survfit(Surv(t, e) ~ 1, conf.type =", ct, ")"), survfit(Surv(t, e) ~ 1, conf.type = ct))
curve("conf.int = 0.9, log-log", survfit(Surv(t, e) ~ 1, conf.type = "log-log", conf.int = 0.9))
s <- summary(survfit(Surv(t, e) ~ 1, conf.type = "log-log"), times = c(0, 2, 2.5, 8, 10), extend = TRUE)
p("summary(times = c(0, 2, 2.5, 8, 10), extend = TRUE) n.risk", s$n.risk); p("  surv", s$surv); p("  lower", s$lower); p("  upper", s$upper)

cat("## censored first, then events (S = 1 at the first time)\n")
t2 <- c(2, 3, 3, 5, 8, 9); e2 <- c(0, 1, 1, 0, 1, 0)
curve("log", survfit(Surv(t2, e2) ~ 1)); curve("log-log", survfit(Surv(t2, e2) ~ 1, conf.type = "log-log"))

cat("## exact 0.5 plateau: median by the midpoint rule\n")
curve("t = 1:4, all events, log", survfit(Surv(1:4, rep(1, 4)) ~ 1))
curve("t = c(1,2,3,4,5,6), e = c(1,1,1,0,1,1), log-log", survfit(Surv(c(1, 2, 3, 4, 5, 6), c(1, 1, 1, 0, 1, 1)) ~ 1, conf.type = "log-log"))

cat("## no events\n")
curve("all censored, log", survfit(Surv(c(3, 5, 5, 9), c(0, 0, 0, 0)) ~ 1))
cat("## n = 1\n")
curve("one event, log", survfit(Surv(4, 1) ~ 1))

cat("## aml (survival package data), by group\n")
a <- survival::aml
cat("aml time =", a$time, "\n"); cat("aml status =", a$status, "\n"); cat("aml x =", as.integer(a$x == "Nonmaintained"), "(1 = Nonmaintained)\n")
for (g in levels(a$x)) curve(paste("aml", g, "log"), survfit(Surv(time, status) ~ 1, data = a[a$x == g, ]))
curve("aml Maintained log-log", survfit(Surv(time, status) ~ 1, data = a[a$x == "Maintained", ], conf.type = "log-log"))
sd <- survdiff(Surv(time, status) ~ x, data = a)
p("survdiff(Surv(time, status) ~ x, aml) obs", sd$obs); p("  exp", sd$exp); p("  var", sd$var); p("  chisq", sd$chisq); p("  p", sd$pvalue)

cat("## durability.csv, three groups, group 2 without events\n")
d <- read.csv(file.path(here, "inputs", "durability.csv"))
sd3 <- survdiff(Surv(time, event) ~ group, data = d)
p("survdiff(Surv(time, event) ~ group) n", as.numeric(sd3$n)); p("  obs", sd3$obs); p("  exp", sd3$exp); p("  var", sd3$var); p("  chisq", sd3$chisq); p("  p", sd3$pvalue)
sd2 <- survdiff(Surv(time, event) ~ group, data = d[d$group != 2, ])
p("survdiff groups 0,1 chisq", sd2$chisq); p("  p", sd2$pvalue); p("  exp", sd2$exp)
f0 <- survfit(Surv(time, event) ~ 1, data = d[d$group == 0, ], conf.type = "log-log")
curve("durability group 0 log-log", f0)
s0 <- summary(f0, times = c(0, 30, 91, 182, 365), extend = TRUE)
p("summary(times = c(0, 30, 91, 182, 365), extend = TRUE) n.risk", s0$n.risk); p("  surv", s0$surv); p("  lower", s0$lower); p("  upper", s0$upper)
curve("durability group 2 log", survfit(Surv(time, event) ~ 1, data = d[d$group == 2, ]))
