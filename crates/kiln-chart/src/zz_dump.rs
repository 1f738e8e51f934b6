#[test]
fn dump() {
    use crate::*;
    let mut page = String::from("<html><body style='margin:0;background:#ddd'>");
    let pts: Vec<(f64, f64)> = (0..40)
        .map(|i| {
            let x = -1.4475 + f64::from(i) * 0.0963;
            (x, (x * 1.7).sin() * 3.3 - 0.7607)
        })
        .collect();
    let pts2: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x, y * 0.5 + 0.3)).collect();
    page += &LineChart {
        title: "Training loss".into(),
        x_label: "epoch".into(),
        y_label: "loss".into(),
        series: vec![Series::new("train", pts), Series::new("validation", pts2)],
        markers: true,
        ..LineChart::default()
    }
    .svg();
    page += &LineChart {
        title: "ROC".into(),
        x_label: "false positive rate".into(),
        y_label: "true positive rate".into(),
        series: vec![Series::new(
            "model",
            vec![
                (0.0, 0.0),
                (0.05, 0.6),
                (0.2, 0.85),
                (0.5, 0.95),
                (1.0, 1.0),
            ],
        )],
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        diagonal: true,
        ..LineChart::default()
    }
    .svg();
    page += &LineChart {
        title: "Residuals".into(),
        x_label: "predicted".into(),
        y_label: "residual".into(),
        series: vec![Series::new(
            "r",
            (0..80)
                .map(|i| (f64::from(i) * 1.3, ((f64::from(i) * 0.77).sin() * 4.0)))
                .collect(),
        )],
        points_only: true,
        zero_line: true,
        ..LineChart::default()
    }
    .svg();
    page += &BarChart {
        title: "colour: share of rows".into(),
        y_label: "share of rows".into(),
        categories: vec![
            "blue".into(),
            "green".into(),
            "red".into(),
            "<other>".into(),
        ],
        series: vec![
            ("reference".into(), vec![0.5, 0.3, 0.2, 0.0]),
            ("this batch".into(), vec![0.1, 0.1, 0.7, 0.1]),
        ],
        ..BarChart::default()
    }
    .svg();
    page += &BarChart {
        title: "many".into(),
        y_label: "count".into(),
        categories: (0..14).map(|i| format!("category number {i}")).collect(),
        series: vec![(
            "a".into(),
            (0..14).map(|i| f64::from(i) * 100.0 - 300.0).collect(),
        )],
        ..BarChart::default()
    }
    .svg();
    let edges: Vec<f64> = (0..=30).map(|i| -3.6442 + 0.2558 * f64::from(i)).collect();
    page += &Histogram {
        title: "x1: share of rows per bin".into(),
        x_label: "x1".into(),
        y_label: "share of rows".into(),
        edges,
        series: vec![
            (
                "reference".into(),
                (0..30)
                    .map(|i| (-(f64::from(i) - 15.0).powi(2) / 40.0).exp() / 10.0)
                    .collect(),
            ),
            (
                "this batch".into(),
                (0..30)
                    .map(|i| (-(f64::from(i) - 19.0).powi(2) / 40.0).exp() / 10.0)
                    .collect(),
            ),
        ],
        ..Histogram::default()
    }
    .svg();
    page += &Heatmap {
        title: "Confusion matrix".into(),
        row_label: "true".into(),
        col_label: "predicted".into(),
        rows: vec!["setosa".into(), "versicolor".into(), "virginica".into()],
        cols: vec!["setosa".into(), "versicolor".into(), "virginica".into()],
        values: vec![
            vec![50.0, 0.0, 0.0],
            vec![0.0, 47.0, 3.0],
            vec![0.0, 2.0, 48.0],
        ],
        ..Heatmap::default()
    }
    .svg();
    page += &ParallelCoordinates {
        title: "Runs".into(),
        axes: vec![
            "lr".into(),
            "epochs".into(),
            "hidden".into(),
            "accuracy".into(),
        ],
        lines: (0..12)
            .map(|i| {
                (
                    format!("run {i}"),
                    vec![
                        Some(0.001 * f64::from(i + 1)),
                        Some(f64::from(5 + i)),
                        if i == 3 {
                            None
                        } else {
                            Some(f64::from(16 * (i % 4 + 1)))
                        },
                        Some(0.9 + 0.005 * f64::from(i)),
                    ],
                )
            })
            .collect(),
        ..ParallelCoordinates::default()
    }
    .svg();
    page += &LineChart {
        title: "empty".into(),
        ..LineChart::default()
    }
    .svg();
    page += "</body></html>";
    std::fs::write("/tmp/kc/page.html", page).unwrap();
}
