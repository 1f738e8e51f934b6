"""Golden values for kiln-monitor's drift statistics, computed with numpy and scipy.

Run `./make_fixture.sh` (it creates a git-ignored venv with the pinned versions and runs this
script). The output, `drift_reference.json`, holds the input arrays and the results; the Rust
test `tests/it/stats.rs` recomputes every statistic and matches to 1e-6 relative.

PSI follows the binning rule documented in `src/stats.rs`: numbers use the reference deciles
(`np.quantile`, linear) deduplicated, open outer bins, `np.searchsorted(..., side="right")`;
zero proportions are filled as Evidently does; psi = sum((ref - cur) * ln(ref / cur)).
"""

import json
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance


def fill_zeroes(p):
    p = p.copy()
    nz = p[p != 0]
    fill = nz.min() / 10**6 if nz.min() <= 0.0001 else 0.0001
    np.place(p, p == 0, fill)
    return p


def psi_numeric(ref, cur):
    edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10.0))
    rc = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    cc = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
    return psi_counts(rc, cc), edges


def psi_counts(rc, cc):
    r = fill_zeroes(np.asarray(rc, dtype=float) / np.sum(rc))
    c = fill_zeroes(np.asarray(cc, dtype=float) / np.sum(cc))
    return float(np.sum((r - c) * np.log(r / c)))


def z_test(ref_count, ref_n, cur_count, cur_n):
    # Evidently's proportions_diff_z_stat_ind / proportions_diff_z_test.
    p1, p2 = ref_count / ref_n, cur_count / cur_n
    pooled = (p1 * ref_n + p2 * cur_n) / (ref_n + cur_n)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / ref_n + 1.0 / cur_n))
    return float(2 * (1 - stats.norm.cdf(np.abs(z))))


def main(out):
    rng = np.random.default_rng(20261123)
    numeric = []
    cases = [
        ("unequal_shift", rng.normal(0, 1, 80), rng.normal(0.3, 1, 120)),
        ("equal_sizes", rng.normal(0, 1, 100), rng.normal(0.5, 1, 100)),
        ("same_distribution", rng.normal(5, 2, 700), rng.normal(5, 2, 500)),
        ("ties", np.round(rng.normal(0, 1, 300), 1), np.round(rng.normal(0.1, 1.2, 200), 1)),
        ("scale_change", rng.normal(0, 1, 1000), rng.normal(0, 1.3, 400)),
        ("large_shift_empty_bins", rng.normal(0, 1, 500), rng.normal(3, 0.5, 250)),
        ("skewed", rng.exponential(2.0, 900), rng.exponential(2.4, 600)),
    ]
    for name, ref, cur in cases:
        ks = stats.ks_2samp(ref, cur)
        psi, edges = psi_numeric(ref, cur)
        w = stats.wasserstein_distance(ref, cur)
        numeric.append({
            "name": name,
            "reference": ref.tolist(),
            "current": cur.tolist(),
            "ks_statistic": float(ks.statistic),
            "ks_p_value": float(ks.pvalue),
            "wasserstein": float(w),
            "wasserstein_normed": float(w / np.std(ref)),
            "psi_edges": edges.tolist(),
            "psi": psi,
        })
    categorical = []
    cat_cases = [
        ("three", [50, 30, 20], [40, 45, 15]),
        ("five_close", [120, 80, 60, 30, 10], [118, 85, 55, 33, 9]),
        ("doubled", [400, 300, 200, 100], [80, 60, 40, 80]),
        ("two", [70, 30], [55, 45]),
        ("new_in_current", [10, 20, 0], [10, 15, 5]),
        ("missing_in_current", [25, 25, 50], [30, 0, 70]),
    ]
    for name, r, c in cat_cases:
        r = np.asarray(r, dtype=float)
        c = np.asarray(c, dtype=float)
        f_exp = r * (c.sum() / r.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            chi = stats.chisquare(c, f_exp)
        keep = (r + c) > 0
        hom = stats.chi2_contingency(np.array([r[keep], c[keep]]), correction=False)
        entry = {
            "name": name,
            "reference": r.tolist(),
            "current": c.tolist(),
            "chisquare_statistic": float(chi.statistic) if np.isfinite(chi.statistic) else None,
            "chisquare_p_value": float(chi.pvalue),
            "homogeneity_statistic": float(hom[0]),
            "homogeneity_p_value": float(hom[1]),
            "jensenshannon": float(distance.jensenshannon(r, c)),
            "psi": psi_counts(r, c),
        }
        if len(r) == 2:
            entry["z_p_value"] = z_test(r[0], r.sum(), c[0], c.sum())
        categorical.append(entry)
    doc = {
        "generator": "drift_reference.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": sys.version.split()[0],
        "numeric": numeric,
        "categorical": categorical,
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "drift_reference.json")
