"""Reference values from statsmodels for tests/stats (proportions, Hedges g, Cochran's Q, Wald test).
Run with Debian's Python, where statsmodels lives:
    /usr/bin/python3 scripts/reference/statsmodels_ref.py   (statsmodels 0.13.5, NumPy 1.24, SciPy 1.10)
"""
import csv, os
import numpy as np
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint, confint_proportions_2indep
from statsmodels.stats.meta_analysis import effectsize_smd, combine_effects

print("statsmodels", statsmodels.__version__)
def p(label, v):
    print(label, "=", " ".join(repr(float(a)) for a in np.atleast_1d(v)))

# Wilson
for x, n in [(0, 10), (10, 10), (1, 1), (0, 1), (7, 20), (56, 70), (48, 80), (1, 1000), (999, 1000)]:
    p(f"proportion_confint({x}, {n}, method='wilson')", proportion_confint(x, n, alpha=0.05, method="wilson"))
p("proportion_confint(7, 20, alpha=0.10, method='wilson')", proportion_confint(7, 20, alpha=0.10, method="wilson"))

# Newcombe hybrid score (method 10) risk difference and log RR
cases = [(56, 70, 48, 80), (9, 10, 3, 10), (0, 10, 0, 20), (10, 10, 0, 20), (5, 56, 0, 29), (6, 7, 2, 7), (412, 800, 350, 790)]
for c in cases:
    low, upp = confint_proportions_2indep(*c, method="newcomb", compare="diff", alpha=0.05)
    p(f"confint_proportions_2indep{c} newcomb diff", [c[0] / c[1] - c[2] / c[3], low, upp])
for c in [(56, 70, 48, 80), (9, 10, 3, 10), (10, 10, 10, 10), (412, 800, 350, 790), (3, 40, 9, 41)]:
    low, upp = confint_proportions_2indep(*c, method="log", compare="ratio", alpha=0.05)
    p(f"confint_proportions_2indep{c} log ratio", [(c[0] / c[1]) / (c[2] / c[3]), low, upp])

# Hedges g (statsmodels' effectsize_smd: J = 1 - 3/(4N - 9), var = N/(n1 n2) + g^2/(2(N - 3.94)))
x = np.array([7, 5.5, 8, 6, 9, 4, 7, 6.5, 8, 5, 3, 7.25])
y = np.array([3.1, 4.4, 2.0, 5.6, 3.3, 4.9, 1.5, 2.2, 6.0])
g, v = effectsize_smd(x.mean(), x.std(ddof=1), len(x), y.mean(), y.std(ddof=1), len(y))
p("effectsize_smd(x, y) g var", [g, v])
g, v = effectsize_smd(2.9, 2.1, 412, 1.7, 1.9, 388)
p("effectsize_smd(2.9, 2.1, 412, 1.7, 1.9, 388) g var", [g, v])
g, v = effectsize_smd(5.0, 1.0, 2, 4.0, 2.0, 2)
p("effectsize_smd(5.0, 1.0, 2, 4.0, 2.0, 2) g var", [g, v])

# Cochran's Q across subgroup estimates (fixed-effect part of combine_effects)
eff = np.array([1.3, 0.6, 1.1, -0.2])
se = np.array([0.30, 0.25, 0.45, 0.60])
res = combine_effects(eff, se ** 2)
p("combine_effects(eff, se**2) q", res.q)
p("  mean_effect_fe sd_eff_w_fe", [res.mean_effect_fe, res.sd_eff_w_fe])
p("  i2", res.i2)
from scipy import stats
p("  chi2.sf(q, k-1)", stats.chi2.sf(res.q, len(eff) - 1))
res2 = combine_effects(np.array([1.3, 0.6]), np.array([0.30, 0.25]) ** 2)
p("combine_effects([1.3, 0.6], [0.3, 0.25]**2) q", res2.q)

# Wald test of an interaction in a logistic model (responder ~ path * sex) on episodes.csv
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "inputs", "episodes.csv")) as f:
    rows = list(csv.DictReader(f))
col = lambda k: np.array([float(r[k]) for r in rows])
path, sex, resp, cond = col("path"), col("sex"), col("responder"), col("condition")
X = np.column_stack([np.ones(len(path)), path, sex, path * sex])
fit = sm.Logit(resp, X).fit(disp=0, tol=1e-14, maxiter=100)
p("Logit(responder ~ path*sex).params", fit.params)
p("  bse", fit.bse)
w = fit.wald_test(np.array([[0, 0, 0, 1.0]]), use_f=False, scalar=True)
p("  wald_test(path:sex, use_f=False) statistic pvalue", [w.statistic, w.pvalue])
# two interaction terms: path x condition (3 levels)
c1, c2 = (cond == 1).astype(float), (cond == 2).astype(float)
X2 = np.column_stack([np.ones(len(path)), path, c1, c2, path * c1, path * c2])
fit2 = sm.Logit(resp, X2).fit(disp=0, tol=1e-14, maxiter=100)
p("Logit(responder ~ path*condition).params", fit2.params)
w2 = fit2.wald_test(np.array([[0, 0, 0, 0, 1.0, 0], [0, 0, 0, 0, 0, 1.0]]), use_f=False, scalar=True)
p("  wald_test(path:condition1, path:condition2, use_f=False) statistic pvalue", [w2.statistic, w2.pvalue])
