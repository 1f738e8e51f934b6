//! `kiln evaluate MODEL [--data test|validation|train|FILE]`.

use std::process::ExitCode;

use kiln::{DataSelection, TrainedModel};
use serde_json::json;

use crate::flags::EvaluateArgs;
use crate::render::emit;

pub(crate) fn run(args: &EvaluateArgs, json: bool) -> anyhow::Result<ExitCode> {
    let model = TrainedModel::load(&args.model)?;
    let selection = DataSelection::parse(&args.data);
    let (metrics, warning) = model.evaluate_selection(&selection, &super::cache()?)?;
    if let Some(warning) = &warning {
        eprintln!("warning: {warning}");
    }
    let what = selection.describe();
    let run_id = super::tracking(&args.track).and_then(|tracking| {
        let digest = match &selection {
            DataSelection::File(path) => match std::fs::read(path) {
                Ok(bytes) => kiln::runs::Blob::digest_of(&bytes),
                Err(_) => String::new(),
            },
            _ => format!("{}:{}", model.header.data.digest, args.data),
        };
        match kiln::tracking::record_evaluation(
            &tracking,
            &args.model,
            &args.data,
            &digest,
            &metrics,
        ) {
            Ok(id) => Some(id),
            Err(e) => {
                eprintln!("warning: this evaluation is not recorded in the runs store: {e}");
                None
            }
        }
    });
    if json {
        emit(&json!({
            "model": args.model,
            "data": args.data,
            "metrics": metrics,
            "warning": warning,
            "run_id": run_id,
        }));
    } else {
        println!("{} on {what}:\n{metrics}", model.header.name);
    }
    Ok(ExitCode::SUCCESS)
}
