//! Every statistic against `tests/reference/drift_reference.json`, produced by
//! `tests/reference/drift_reference.py` (numpy + scipy; see `make_fixture.sh`).

use kiln_monitor::stats;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    numeric: Vec<NumericCase>,
    categorical: Vec<CategoricalCase>,
}

#[derive(Deserialize)]
struct NumericCase {
    name: String,
    reference: Vec<f64>,
    current: Vec<f64>,
    ks_statistic: f64,
    ks_p_value: f64,
    wasserstein: f64,
    wasserstein_normed: f64,
    psi_edges: Vec<f64>,
    psi: f64,
}

#[derive(Deserialize)]
struct CategoricalCase {
    name: String,
    reference: Vec<f64>,
    current: Vec<f64>,
    chisquare_statistic: Option<f64>,
    chisquare_p_value: f64,
    homogeneity_statistic: f64,
    homogeneity_p_value: f64,
    jensenshannon: f64,
    psi: f64,
    z_p_value: Option<f64>,
}

fn fixture() -> Fixture {
    let text = include_str!("../reference/drift_reference.json");
    serde_json::from_str(text).expect("fixture parses")
}

#[track_caller]
fn close(what: &str, case: &str, got: f64, want: f64) {
    let ok = if want == 0.0 {
        got.abs() < 1e-300
    } else {
        ((got - want) / want).abs() <= 1e-6
    };
    assert!(ok, "{case}: {what} = {got:e}, scipy says {want:e}");
}

#[test]
fn numeric_statistics_match_scipy() {
    let f = fixture();
    assert!(f.numeric.len() >= 5);
    for c in &f.numeric {
        let ks = stats::ks_2samp(&c.reference, &c.current).unwrap();
        close("ks statistic", &c.name, ks.statistic, c.ks_statistic);
        close("ks p-value", &c.name, ks.p_value, c.ks_p_value);
        let w = stats::wasserstein(&c.reference, &c.current).unwrap();
        close("wasserstein", &c.name, w, c.wasserstein);
        let wn = stats::wasserstein_normed(&c.reference, &c.current).unwrap();
        close("normalised wasserstein", &c.name, wn, c.wasserstein_normed);
        let edges = stats::psi_edges(&c.reference);
        assert_eq!(edges.len(), c.psi_edges.len(), "{}: psi edges", c.name);
        for (a, b) in edges.iter().zip(&c.psi_edges) {
            close("psi edge", &c.name, *a, *b);
        }
        let psi = stats::psi(
            &stats::bin_counts(&edges, &c.reference),
            &stats::bin_counts(&edges, &c.current),
        )
        .unwrap();
        close("psi", &c.name, psi, c.psi);
    }
}

#[test]
fn categorical_statistics_match_scipy() {
    for c in &fixture().categorical {
        let chi = stats::chisquare_counts(&c.reference, &c.current).unwrap();
        match c.chisquare_statistic {
            Some(s) => close("chi-square statistic", &c.name, chi.statistic, s),
            None => assert!(chi.statistic.is_infinite(), "{}", c.name),
        }
        close("chi-square p", &c.name, chi.p_value, c.chisquare_p_value);
        let hom = stats::chisquare_homogeneity(&c.reference, &c.current).unwrap();
        close(
            "homogeneity statistic",
            &c.name,
            hom.statistic,
            c.homogeneity_statistic,
        );
        close("homogeneity p", &c.name, hom.p_value, c.homogeneity_p_value);
        let js = stats::jensenshannon(&c.reference, &c.current).unwrap();
        close("jensen-shannon", &c.name, js, c.jensenshannon);
        close(
            "psi",
            &c.name,
            stats::psi(&c.reference, &c.current).unwrap(),
            c.psi,
        );
        if let Some(z) = c.z_p_value {
            let rn: f64 = c.reference.iter().sum();
            let cn: f64 = c.current.iter().sum();
            let got = stats::z_test(c.reference[0], rn, c.current[0], cn).unwrap();
            close("z-test p", &c.name, got, z);
        }
    }
}
