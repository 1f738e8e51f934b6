//! What tuning and the runs store hook into: an epoch observer that sees every epoch and can
//! stop the run, and spec overrides by dotted path.

use std::sync::{Arc, Mutex};

use kiln::{Control, EpochObserver, Override, StopReason};

use super::*;

#[test]
fn an_observer_sees_every_epoch_and_can_stop_the_run() {
    let work = Work::new();
    let spec = work.write("moons.toml", &example("moons-mlp"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let out = work.path("moons.kiln");
    let result = train(&spec, &out, Cache::new(work.path("cache")), |r| {
        r.observer = Some(EpochObserver::new(move |e| {
            log.lock().unwrap().push((e.epoch, e.val_loss));
            if e.epoch == 3 {
                Control::Stop
            } else {
                Control::Continue
            }
        }));
    });
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
        [1, 2, 3],
        "called once per epoch, and never after asking to stop"
    );
    assert!(seen.iter().all(|(_, v)| v.is_some_and(f64::is_finite)));
    assert_eq!(result.stop, StopReason::Stopped);
    let history = &result.file.header.training.history;
    assert_eq!(history.len(), 3);
    // The same figures the observer saw are in the file.
    for ((_, val_loss), epoch) in seen.iter().zip(history) {
        assert_eq!(*val_loss, epoch.val_loss);
    }
    // A stopped run is a finished model: it loads, and has its test metrics.
    assert!(kiln::TrainedModel::load(&out).is_ok());
    assert!(result.metrics.contains_key("test"));
}

#[test]
fn overrides_change_the_spec_by_dotted_path_and_the_file_records_them() {
    let work = Work::new();
    let spec = work.write("moons.toml", &example("moons-mlp"));
    let result = train(
        &spec,
        &work.path("m.kiln"),
        Cache::new(work.path("cache")),
        |r| {
            r.overrides = vec![
                "training.epochs=2".parse().unwrap(),
                Override::new("layers[1].units", "3"),
                "training.optimizer.type=sgd".parse().unwrap(),
            ];
        },
    );
    let header = &result.file.header;
    assert_eq!(header.training.history.len(), 2);
    assert_eq!(header.spec.training.epochs, 2);
    // 2·8+8 + 8·3+3 + 3·2+2: the second layer now has 3 units.
    assert_eq!(header.params, 59);
    assert!(
        header.spec_toml.contains("epochs = 2"),
        "{}",
        header.spec_toml
    );
    assert!(header.spec_toml.contains("type = \"sgd\""));
    // The example's comments are kept.
    assert!(header.spec_toml.contains("# keras.callbacks.EarlyStopping"));

    // A bad override names itself; a value the spec refuses gets the spec's own message.
    let request = |set: &str| {
        let mut r = TrainRequest::new(&spec, work.path("x.kiln"), Cache::new(work.path("cache")));
        r.overrides = vec![set.parse().unwrap()];
        kiln::train_spec(&r, |_| {}).unwrap_err().to_string()
    };
    assert_eq!(
        request("layers[5].units=3"),
        "override `layers[5].units`: layers has 2 entries, so there is no layers[5]"
    );
    let e = request("training.batch_size=0");
    assert!(
        e.contains("(with --set)") && e.contains("training.batch_size must be greater than 0"),
        "{e}"
    );
}
