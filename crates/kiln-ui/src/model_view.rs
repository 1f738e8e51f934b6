//! What a model file shows, wherever it is drawn (a run page, `kiln report MODEL.kiln`): the
//! evaluation of its test split (confusion matrix, per-class table, ROC, precision–recall,
//! calibration, residuals), the training history, the layers and the spec.

use kiln_artifact::ModelHeader;
use kiln_chart::{Heatmap, LineChart, Series};
use kiln_eval::{ClassificationReport, LanguageModelReport, Metrics, RegressionReport};
use maud::{Markup, PreEscaped, html};

use crate::page::num;

/// The split whose figures the page draws: `test`, else `validation`, `heldout`, `cv_mean`.
pub(crate) fn headline_split(header: &ModelHeader) -> Option<(&str, &Metrics)> {
    ["test", "validation", "heldout", "cv_mean"]
        .into_iter()
        .find_map(|s| header.metrics.get_key_value(s))
        .map(|(k, v)| (k.as_str(), v))
}

/// Every section drawn from the file's header.
pub(crate) fn sections(header: &ModelHeader) -> Markup {
    html! {
        @if let Some((split, metrics)) = headline_split(header) {
            h2 { "Evaluation " span.muted { "(" (split) " split)" } }
            @match metrics {
                Metrics::Classification(r) => (classification(r)),
                Metrics::Regression(r) => (regression(r)),
                Metrics::LanguageModel(r) => (language_model(r)),
            }
        }
        (layers(header))
        h2 { "Spec" }
        pre #spec { (header.spec_toml) }
    }
}

fn classification(r: &ClassificationReport) -> Markup {
    let k = r.classes.len();
    let heatmap = Heatmap {
        title: "Confusion matrix".into(),
        row_label: "true class".into(),
        col_label: "predicted class".into(),
        rows: r.classes.clone(),
        cols: r.classes.clone(),
        values: r
            .confusion
            .iter()
            .map(|row| row.iter().map(|&n| n as f64).collect())
            .collect(),
        width: (200 + 36 * k as u32).clamp(320, 760),
        height: (160 + 36 * k as u32).clamp(280, 720),
    };
    html! {
        p {
            "Accuracy " b data-key="accuracy" data-value=(r.accuracy) { (num(r.accuracy)) }
            " · log loss " span data-key="log_loss" data-value=(r.log_loss) { (num(r.log_loss)) }
            @if let Some(auc) = r.curves.as_ref().and_then(kiln_eval::Curves::roc_auc) {
                " · ROC AUC " span data-key="roc_auc" data-value=(auc) { (num(auc)) }
            }
            " · " (r.count) " rows"
        }
        section #confusion {
            h2 { "Confusion matrix" }
            div.charts {
                figure { (PreEscaped(heatmap.svg())) }
                div.scroll {
                    table.confusion {
                        thead { tr { th { "true \\ predicted" } @for c in &r.classes { th.num { (c) } } } }
                        tbody {
                            @for (i, row) in r.confusion.iter().enumerate() {
                                tr {
                                    th { (r.classes[i]) }
                                    @for (j, n) in row.iter().enumerate() {
                                        td.num data-true=(i) data-pred=(j) data-value=(n) { (n) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Per class" }
        div.scroll {
            table #per-class {
                thead { tr { th { "class" } th.num { "precision" } th.num { "recall" } th.num { "F1" } th.num { "support" }
                    @if r.curves.is_some() { th.num { "ROC AUC" } th.num { "avg precision" } } } }
                tbody {
                    @for m in &r.per_class {
                        @let curves = r.curves.as_ref().and_then(|c| c.per_class.iter().find(|x| x.class == m.class));
                        tr data-class=(m.class) {
                            td { (m.class) }
                            td.num data-key="precision" data-value=(m.precision) { (num(m.precision)) }
                            td.num data-key="recall" data-value=(m.recall) { (num(m.recall)) }
                            td.num data-key="f1" data-value=(m.f1) { (num(m.f1)) }
                            td.num data-key="support" data-value=(m.support) { (m.support) }
                            @if r.curves.is_some() {
                                td.num { (curves.and_then(|c| c.roc_auc).map_or("–".into(), num)) }
                                td.num { (curves.and_then(|c| c.average_precision).map_or("–".into(), num)) }
                            }
                        }
                    }
                    tr.muted { td { "macro avg" } td.num { (num(r.macro_avg.precision)) } td.num { (num(r.macro_avg.recall)) } td.num { (num(r.macro_avg.f1)) } td.num { (r.count) } }
                    tr.muted { td { "weighted avg" } td.num { (num(r.weighted_avg.precision)) } td.num { (num(r.weighted_avg.recall)) } td.num { (num(r.weighted_avg.f1)) } td.num { (r.count) } }
                }
            }
        }
        @if let Some(curves) = &r.curves {
            @let label = |c: &kiln_eval::ClassCurves| if k == 2 { format!("{} (positive)", c.class) } else { c.class.clone() };
            div.charts {
                section #roc {
                    h2 { "ROC" }
                    (PreEscaped(LineChart {
                        title: "ROC, one class against the rest".into(),
                        x_label: "false-positive rate".into(),
                        y_label: "true-positive rate".into(),
                        series: curves.per_class.iter().filter(|c| !c.roc.is_empty())
                            .map(|c| Series::new(format!("{} (AUC {})", label(c), c.roc_auc.map_or("–".into(), num)), c.roc.clone())).collect(),
                        x_range: Some((0.0, 1.0)),
                        y_range: Some((0.0, 1.0)),
                        diagonal: true,
                        width: 420,
                        height: 360,
                        ..LineChart::default()
                    }.svg()))
                }
                section #pr {
                    h2 { "Precision–recall" }
                    (PreEscaped(LineChart {
                        title: "Precision against recall".into(),
                        x_label: "recall".into(),
                        y_label: "precision".into(),
                        series: curves.per_class.iter().filter(|c| !c.pr.is_empty())
                            .map(|c| Series::new(format!("{} (AP {})", label(c), c.average_precision.map_or("–".into(), num)), c.pr.clone())).collect(),
                        x_range: Some((0.0, 1.0)),
                        y_range: Some((0.0, 1.0)),
                        width: 420,
                        height: 360,
                        ..LineChart::default()
                    }.svg()))
                }
                section #calibration {
                    h2 { "Calibration" }
                    (PreEscaped(LineChart {
                        title: if k == 2 { "Reliability of the positive class's probability".into() } else { "Reliability of the top class's probability".into() },
                        x_label: "mean predicted probability".into(),
                        y_label: if k == 2 { "fraction positive".into() } else { "fraction correct".into() },
                        series: vec![Series::new("model", curves.calibration.iter().map(|b| (b.mean_predicted, b.fraction_positive)).collect())],
                        x_range: Some((0.0, 1.0)),
                        y_range: Some((0.0, 1.0)),
                        diagonal: true,
                        markers: true,
                        width: 420,
                        height: 360,
                        ..LineChart::default()
                    }.svg()))
                }
            }
        }
    }
}

fn regression(r: &RegressionReport) -> Markup {
    html! {
        table #regression {
            tbody {
                tr data-key="mae" { th { "MAE" } td.num.value data-value=(r.mae) { (num(r.mae)) } }
                tr data-key="rmse" { th { "RMSE" } td.num.value data-value=(r.rmse) { (num(r.rmse)) } }
                tr data-key="mse" { th { "MSE" } td.num.value data-value=(r.mse) { (num(r.mse)) } }
                @if let Some(r2) = r.r2 { tr data-key="r2" { th { "R²" } td.num.value data-value=(r2) { (num(r2)) } } }
                tr data-key="count" { th { "rows" } td.num.value data-value=(r.count) { (r.count) } }
            }
        }
        @if let Some(residuals) = &r.residuals {
            section #residuals {
                h2 { "Residuals" }
                (PreEscaped(LineChart {
                    title: format!("Residual against prediction ({} rows)", residuals.len()),
                    x_label: "prediction".into(),
                    y_label: "true − prediction".into(),
                    series: vec![Series::new("rows", residuals.clone())],
                    zero_line: true,
                    points_only: true,
                    width: 560,
                    height: 360,
                    ..LineChart::default()
                }.svg()))
            }
        }
    }
}

fn language_model(r: &LanguageModelReport) -> Markup {
    html! {
        table #language-model {
            tbody {
                tr data-key="bits_per_char" { th { "bits per character" } td.num.value data-value=(r.bits_per_char) { (num(r.bits_per_char)) } }
                tr data-key="unigram_bits_per_char" { th { "unigram baseline" } td.num.value data-value=(r.unigram_bits_per_char) { (num(r.unigram_bits_per_char)) } }
                tr data-key="accuracy" { th { "next-character accuracy" } td.num.value data-value=(r.accuracy) { (num(r.accuracy)) } }
                tr data-key="chars" { th { "held-out characters" } td.num.value data-value=(r.chars) { (r.chars) } }
            }
        }
    }
}

/// The layers and their parameter counts, as `kiln inspect` lists them.
fn layers(header: &ModelHeader) -> Markup {
    let network = &header.network;
    let Ok(shapes) = kiln_spec::infer_shapes(
        network.layers.written(),
        &network.input_shape,
        network.head_units,
    ) else {
        return html! {};
    };
    let total: usize = shapes.iter().map(|l| l.params).sum();
    html! {
        h2 { "Layers" }
        table #layers {
            thead { tr { th { "#" } th { "layer" } th { "output" } th.num { "params" } th.num { "trainable" } } }
            tbody {
                tr.muted { td {} td { "input" } td { (dims(&network.input_shape)) } td.num {} td.num {} }
                @for l in &shapes {
                    tr {
                        td { (l.index) }
                        td { (l.desc) }
                        td { (dims(&l.output)) }
                        td.num data-key="params" data-value=(l.params) { (l.params) }
                        td.num { (l.trainable) }
                    }
                }
            }
            tfoot { tr { th {} th { "total" } th {} th.num #total-params data-value=(total) { (total) } th {} } }
        }
    }
}

fn dims(shape: &[usize]) -> String {
    shape
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" × ")
}

/// Training curves from the file's own history (for a model file without a run): loss and the
/// task's metric per epoch, training and validation.
pub(crate) fn history(header: &ModelHeader) -> Markup {
    let h = &header.training.history;
    if h.len() < 2 {
        return html! {};
    }
    let metric = match header.task {
        kiln_train::Task::Regression { .. } => "mae",
        _ => "accuracy",
    };
    let series = |name: &str, f: &dyn Fn(&kiln_train::EpochSummary) -> Option<f64>| {
        Series::new(
            name,
            h.iter()
                .filter_map(|e| f(e).map(|v| (e.epoch as f64, v)))
                .collect(),
        )
    };
    let chart = |title: &str, a: Series, b: Series| {
        let series: Vec<Series> = [a, b]
            .into_iter()
            .filter(|s| !s.points.is_empty())
            .collect();
        LineChart {
            title: title.into(),
            x_label: "epoch".into(),
            y_label: title.into(),
            series,
            markers: h.len() <= 60,
            ..LineChart::default()
        }
        .svg()
    };
    html! {
        section #curves {
            h2 { "Training curves" }
            div.charts {
                figure data-metric="loss" { (PreEscaped(chart("loss", series("train", &|e| Some(e.loss)), series("validation", &|e| e.val_loss)))) }
                figure data-metric=(metric) { (PreEscaped(chart(metric, series("train", &|e| Some(e.metric)), series("validation", &|e| e.val_metric)))) }
            }
        }
    }
}
