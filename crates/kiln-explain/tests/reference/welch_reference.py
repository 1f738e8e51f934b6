"""Golden values for kiln-explain's Welch t-test (`tcav::welch`), from scipy.

Run `./make_fixture.sh` (a git-ignored venv with pinned numpy/scipy). The output,
`welch_reference.json`, holds each pair of samples and scipy's
`ttest_ind(a, b, equal_var=False)` statistic and two-sided p-value; `tests/it/main.rs`
recomputes them and matches to 1e-9 relative.
"""

import json
import sys

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20261204)
cases = []
for n_a, n_b, shift, scale in [(5, 5, 0.0, 1.0), (10, 30, 0.4, 2.0), (50, 50, 0.05, 0.1),
                               (3, 8, -1.5, 0.5), (200, 150, 0.01, 1.0)]:
    a = rng.normal(0.5, 0.1, n_a)
    b = rng.normal(0.5 + shift, 0.1 * scale, n_b)
    t, p = stats.ttest_ind(a, b, equal_var=False)
    cases.append({"a": a.tolist(), "b": b.tolist(), "t": float(t), "p": float(p)})
json.dump({"numpy": np.__version__, "scipy": scipy.__version__, "cases": cases},
          open(sys.argv[1], "w"), indent=1)
