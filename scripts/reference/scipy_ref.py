"""Reference values from SciPy for tests/stats (descriptive, comparison, distributions).
Run: python3 scripts/reference/scipy_ref.py     (SciPy 1.17.1, NumPy 2.4 under pyenv)
"""
import numpy as np
import scipy
from scipy import stats

print("scipy", scipy.__version__, "numpy", np.__version__)
def p(label, v):
    print(label, "=", " ".join(repr(float(a)) for a in np.atleast_1d(v)))

x = np.array([7, 5.5, 8, 6, 9, 4, 7, 6.5, 8, 5, 3, 7.25])
y = np.array([3.1, 4.4, 2.0, 5.6, 3.3, 4.9, 1.5, 2.2, 6.0])
probs = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]
p("np.percentile(x, probs*100, method='linear')", np.percentile(x, np.array(probs) * 100, method="linear"))
p("stats.t.interval(0.95, 11, x.mean(), stats.sem(x))", stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x)))

r = stats.ttest_ind(x, y, equal_var=False)
ci = r.confidence_interval(0.95)
p("ttest_ind(x, y, equal_var=False) statistic", r.statistic)
p("  pvalue", r.pvalue)
p("  df", r.df)
p("  confidence_interval(0.95)", [ci.low, ci.high])
ci90 = r.confidence_interval(0.90)
p("  confidence_interval(0.90)", [ci90.low, ci90.high])
p("  se = (mean diff)/statistic", (x.mean() - y.mean()) / r.statistic)

# From summary statistics: interventional vs conservative change in NRS.
r2 = stats.ttest_ind_from_stats(2.9, 2.1, 412, 1.7, 1.9, 388, equal_var=False)
p("ttest_ind_from_stats(2.9, 2.1, 412, 1.7, 1.9, 388, equal_var=False) statistic, pvalue", [r2.statistic, r2.pvalue])
# Far apart groups: p-value in the far tail (relative precision matters).
a = np.array([9.1, 8.7, 9.4, 8.9, 9.0, 9.3])
b = np.array([1.2, 0.8, 1.5, 1.1, 0.9])
r3 = stats.ttest_ind(a, b, equal_var=False)
p("ttest_ind(a, b, equal_var=False) statistic pvalue df", [r3.statistic, r3.pvalue, r3.df])
# One group constant.
c = np.array([5.0, 5.0, 5.0])
d = np.array([1.0, 2.0, 3.0, 4.0])
r4 = stats.ttest_ind(c, d, equal_var=False)
ci4 = r4.confidence_interval(0.95)
p("ttest_ind(c, d, equal_var=False) statistic pvalue df ci", [r4.statistic, r4.pvalue, r4.df, ci4.low, ci4.high])

# Distribution tails.
for xx, df in [(3.84, 1), (80, 3), (10, 4), (200, 5), (2.5, 7), (0.3, 2), (1500, 2), (12.0, 2.5), (33.3, 12)]:
    p(f"chi2.sf({xx}, {df})", stats.chi2.sf(xx, df))
p("2*t.cdf(-40, 3)", 2 * stats.t.cdf(-40, 3))
p("2*norm.cdf(-9)", 2 * stats.norm.cdf(-9))
p("t.ppf(0.975, 7.5)", stats.t.ppf(0.975, 7.5))
