//! Development helper: train a spec and print the figures.
fn main() -> Result<(), kiln::Error> {
    let args: Vec<String> = std::env::args().collect();
    let cache = kiln::data::Cache::from_env()?;
    let mut req = kiln::TrainRequest::new(&args[1], &args[2], cache);
    req.folds = args.get(3).map(|s| s.parse().unwrap());
    let r = kiln::train_spec(&req, |e| match e {
        kiln::RunEvent::Train(kiln::train::TrainEvent::Epoch(s)) => eprintln!("{s:?}"),
        kiln::RunEvent::FoldDone { fold, metrics } => eprintln!("fold {fold}: {:?}", metrics.headline()),
        _ => {}
    })?;
    for (k, m) in &r.metrics { eprintln!("{k}: {:?}", m.headline()); }
    Ok(())
}
