//! [`ActiveRun`]: a run this process is doing. It records the process as the run's owner,
//! refreshes the heartbeat from a background thread, and ends the run exactly once: as the
//! caller says ([`ActiveRun::end`]), or `FAILED` when dropped without ending (an error or a
//! panic unwound past it). A process killed outright is found by the liveness sweep.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;

use crate::entity::{ArtifactEntry, DatasetInput, Metric, RunInfo, RunStatus};
use crate::error::Result;
use crate::liveness::{HEARTBEAT_INTERVAL, Owner};
use crate::runs::NewRun;
use crate::store::Store;

/// A run in progress in this process.
#[derive(Debug)]
pub struct ActiveRun {
    store: Arc<Store>,
    info: RunInfo,
    heartbeat: Option<(Sender<()>, JoinHandle<()>)>,
    ended: bool,
}

impl ActiveRun {
    /// Creates the run with this process as its owner and starts the heartbeat.
    ///
    /// # Errors
    /// As [`Store::create_run`].
    pub fn start(store: Arc<Store>, mut new: NewRun) -> Result<Self> {
        new.owner = Some(Owner::this_process());
        let info = store.create_run(&new)?;
        Ok(Self::beating(store, info))
    }

    /// Takes over an existing run (a study resumed after a crash or Ctrl-C): this process
    /// becomes its owner and it is `RUNNING` again.
    ///
    /// # Errors
    /// As [`Store::take_over_run`]: another live process still owns it.
    pub fn adopt(store: Arc<Store>, run_id: &str) -> Result<Self> {
        store.take_over_run(run_id, &Owner::this_process())?;
        let info = store.run_info(run_id)?;
        Ok(Self::beating(store, info))
    }

    fn beating(store: Arc<Store>, info: RunInfo) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let beat_store = Arc::clone(&store);
        let run_id = info.run_id.clone();
        let thread = std::thread::Builder::new()
            .name("kiln-run-heartbeat".to_string())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(HEARTBEAT_INTERVAL)
                {
                    // A failed beat is not fatal: the next one may succeed, and the pid check
                    // does not depend on it.
                    let _ = beat_store.heartbeat(&run_id);
                }
            })
            .ok();
        Self {
            store,
            info,
            heartbeat: thread.map(|t| (stop, t)),
            ended: false,
        }
    }

    /// The run's id.
    pub fn id(&self) -> &str {
        &self.info.run_id
    }

    /// The run as created.
    pub fn info(&self) -> &RunInfo {
        &self.info
    }

    /// The store it is recorded in.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Logs metrics.
    ///
    /// # Errors
    /// As [`Store::log_batch`].
    pub fn log_metrics(&self, metrics: &[Metric]) -> Result<()> {
        self.store.log_batch(self.id(), metrics, &[], &[])
    }

    /// Logs params (written once).
    ///
    /// # Errors
    /// As [`Store::log_batch`].
    pub fn log_params(&self, params: &[(String, String)]) -> Result<()> {
        // MLflow's batch limit is 100 params; kiln's own specs may flatten to more.
        for chunk in params.chunks(100) {
            self.store.log_batch(self.id(), &[], chunk, &[])?;
        }
        Ok(())
    }

    /// Sets tags.
    ///
    /// # Errors
    /// As [`Store::log_batch`].
    pub fn set_tags(&self, tags: &[(String, String)]) -> Result<()> {
        self.store.log_batch(self.id(), &[], &[], tags)
    }

    /// Records datasets used.
    ///
    /// # Errors
    /// As [`Store::log_inputs`].
    pub fn log_inputs(&self, inputs: &[DatasetInput]) -> Result<()> {
        self.store.log_inputs(self.id(), inputs)
    }

    /// Stores a file as an artifact.
    ///
    /// # Errors
    /// As [`Store::put_artifact_file`].
    pub fn log_artifact_file(&self, path: &str, file: &Path) -> Result<ArtifactEntry> {
        self.store.put_artifact_file(self.id(), path, file)
    }

    /// Stores bytes as an artifact.
    ///
    /// # Errors
    /// As [`Store::put_artifact`].
    pub fn log_artifact_bytes(&self, path: &str, bytes: &[u8]) -> Result<ArtifactEntry> {
        self.store.put_artifact(self.id(), path, &mut &bytes[..])
    }

    /// Ends the run with `status` and stops the heartbeat.
    ///
    /// # Errors
    /// As [`Store::update_run`].
    pub fn end(mut self, status: RunStatus) -> Result<RunInfo> {
        self.ended = true;
        self.stop_heartbeat();
        self.store.update_run(self.id(), Some(status), None, None)
    }

    fn stop_heartbeat(&mut self) {
        if let Some((stop, thread)) = self.heartbeat.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

impl Drop for ActiveRun {
    fn drop(&mut self) {
        self.stop_heartbeat();
        if !self.ended {
            let _ = self
                .store
                .update_run(&self.info.run_id, Some(RunStatus::Failed), None, None);
        }
    }
}
