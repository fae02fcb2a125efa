# Reference values for tests/stats/descriptive.test.ts.
# Run: Rscript scripts/reference/descriptive.R     (R 4.2.2)
options(digits = 17)
p <- function(label, v) cat(label, "=", format(v, digits = 17), "\n")

x <- c(7, 5.5, 8, 6, 9, 4, 7, 6.5, 8, 5, 3, 7.25)
y <- c(3.1, 4.4, 2.0, 5.6, 3.3, 4.9, 1.5, 2.2, 6.0)
probs <- c(0, 0.1, 0.25, 0.5, 0.75, 0.9, 1)

for (nm in c("x", "y")) {
  v <- get(nm)
  tt <- t.test(v, conf.level = 0.95)
  p(paste0(nm, " mean(v)"), mean(v))
  p(paste0(nm, " sd(v)"), sd(v))
  p(paste0(nm, " t.test(v)$conf.int"), as.numeric(tt$conf.int))
  p(paste0(nm, " t.test(v, conf.level=0.9)$conf.int"), as.numeric(t.test(v, conf.level = 0.9)$conf.int))
  p(paste0(nm, " quantile(v, probs, type=7)"), unname(quantile(v, probs, type = 7)))
  p(paste0(nm, " median(v)"), median(v))
  p(paste0(nm, " IQR(v)"), IQR(v))
}
two <- c(3, 8)
p("two mean", mean(two)); p("two sd", sd(two)); p("two t.test conf.int", as.numeric(t.test(two)$conf.int))
p("two quantile", unname(quantile(two, probs)))
big <- 1e6 + c(0.1, 0.2, 0.3, 0.4)
p("big mean", mean(big)); p("big sd", sd(big)); p("big t.test conf.int", as.numeric(t.test(big)$conf.int))
