//! The inference engine: one bounded queue and one dedicated worker thread per served table
//! model, with dynamic batching. It knows no HTTP and no wire format: it answers each job with
//! its share of the batch's [`Predictions`], which the routes render.
//!
//! Handlers never run a model on the async runtime: they check a request's rows
//! (`crate::schema`), put a `Job` on the model's queue with `try_send` (a full queue is a
//! 503, never unbounded memory), and await a oneshot answer. The worker takes the first job,
//! then keeps taking queued jobs until the batch holds `max_batch_rows` rows or `max_delay` has
//! passed since the first (Triton's `max_queue_delay_microseconds`; 0 batches whatever is
//! already waiting), predicts the concatenated rows once, and answers every job with its own
//! rows' predictions.
//!
//! Architecture invariant: a job's rows were checked against the model's encoder before they
//! were queued, so a batch fails only through a bug; if it does, the jobs are retried one by
//! one so a single bad job cannot fail its batch-mates.

use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use kiln::data::Table;
use kiln::{Predictions, TrainedModel};
use tokio::sync::oneshot;

use crate::error::{ServeError, WorkerError};
use crate::metrics::Metrics;
use crate::model_id::ModelId;
use crate::monitoring::ModelMonitor;
use crate::schema::{CheckedRows, concat};

/// Dynamic batching and queue settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Most rows predicted together (1 disables batching).
    pub max_batch_rows: usize,
    /// Longest a queued request waits for batch-mates after the first one is taken.
    pub max_delay: Duration,
    /// Requests that may wait in a model's queue; more are answered 503.
    pub queue_capacity: usize,
}

impl Default for BatchConfig {
    /// 64 rows, no added delay (batch what is already queued, as Triton does with
    /// `max_queue_delay_microseconds: 0`), 1024 queued requests.
    fn default() -> Self {
        Self {
            max_batch_rows: 64,
            max_delay: Duration::ZERO,
            queue_capacity: 1024,
        }
    }
}

/// Called on the worker thread after every successful batch, with the rows and their
/// predictions — the hook for monitoring (drift, prediction logs). Keep it fast or hand the
/// work to another thread: the next batch waits for it.
pub trait BatchObserver: Send + Sync {
    /// One batch was predicted.
    fn observe(&self, model: &ModelId, rows: &Table, predictions: &Predictions);
}

/// A request's rows waiting for the worker.
pub(crate) struct Job {
    pub rows: CheckedRows,
    pub reply: oneshot::Sender<Result<Answered, WorkerError>>,
    pub enqueued: Instant,
}

/// One job's answer: its rows of a predicted batch, with the batch's prediction ids when the
/// model is monitored.
#[derive(Debug, Clone)]
pub(crate) struct Answered {
    /// The predictions of the whole batch the job's rows were part of.
    pub batch: Arc<Predictions>,
    /// The job's rows in `batch`.
    pub rows: Range<usize>,
    /// One prediction id per row of the whole batch (monitored models).
    pub ids: Option<Arc<[u64]>>,
}

/// The handle requests use to reach one model's worker.
#[derive(Debug)]
pub(crate) struct Engine {
    tx: Sender<Job>,
    rx_probe: Receiver<Job>,
}

impl Engine {
    /// Starts the worker thread, which owns `model` and ends when the last handle is dropped
    /// and the queue is empty.
    pub(crate) fn start(
        model: TrainedModel,
        id: ModelId,
        config: BatchConfig,
        metrics: Arc<Metrics>,
        monitor: Option<Arc<ModelMonitor>>,
        observer: Option<Arc<dyn BatchObserver>>,
    ) -> Result<Self, ServeError> {
        let (tx, rx) = crossbeam_channel::bounded(config.queue_capacity.max(1));
        let rx_probe = rx.clone();
        let worker = Worker {
            model,
            id,
            config,
            metrics,
            monitor,
            observer,
        };
        std::thread::Builder::new()
            .name(format!("kiln-worker-{}", worker.id.name))
            .spawn(move || worker.run(&rx))
            .map_err(ServeError::Thread)?;
        Ok(Self { tx, rx_probe })
    }

    /// Queues `rows` and waits, at most `timeout`, for their predictions.
    pub(crate) async fn predict(
        &self,
        rows: CheckedRows,
        timeout: Duration,
    ) -> Result<Answered, WorkerError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            rows,
            reply,
            enqueued: Instant::now(),
        };
        match self.tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(WorkerError::QueueFull { queue: "queue" }),
            Err(TrySendError::Disconnected(_)) => {
                return Err(WorkerError::Stopped { worker: "worker" });
            }
        }
        match tokio::time::timeout(timeout, answer).await {
            Ok(answer) => answer.unwrap_or(Err(WorkerError::Dropped)),
            Err(_) => Err(WorkerError::TimedOut(timeout)),
        }
    }

    /// Requests waiting in the queue.
    pub(crate) fn queue_depth(&self) -> usize {
        self.rx_probe.len()
    }
}

struct Worker {
    model: TrainedModel,
    id: ModelId,
    config: BatchConfig,
    metrics: Arc<Metrics>,
    monitor: Option<Arc<ModelMonitor>>,
    observer: Option<Arc<dyn BatchObserver>>,
}

impl Worker {
    fn run(self, rx: &Receiver<Job>) {
        let mut carry: Option<Job> = None;
        loop {
            let first = match carry.take() {
                Some(job) => job,
                None => match rx.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
            };
            let mut rows = first.rows.table.len();
            let mut jobs = vec![first];
            let deadline = Instant::now() + self.config.max_delay;
            while rows < self.config.max_batch_rows {
                let next = match rx.try_recv() {
                    Ok(job) => Some(job),
                    Err(TryRecvError::Disconnected) => None,
                    Err(TryRecvError::Empty) if self.config.max_delay.is_zero() => None,
                    Err(TryRecvError::Empty) => rx.recv_deadline(deadline).ok(),
                };
                let Some(job) = next else { break };
                let n = job.rows.table.len();
                if rows + n > self.config.max_batch_rows {
                    carry = Some(job);
                    break;
                }
                rows += n;
                jobs.push(job);
            }
            self.run_batch(jobs);
        }
        tracing::debug!(model = %self.id.name, version = %self.id.version, "worker stopped");
    }

    fn run_batch(&self, jobs: Vec<Job>) {
        let now = Instant::now();
        for job in &jobs {
            self.metrics
                .queue_wait(&self.id.name, now.duration_since(job.enqueued));
        }
        let tables: Vec<&Table> = jobs.iter().map(|j| &j.rows.table).collect();
        let batch = if tables.len() == 1 {
            tables[0].clone()
        } else {
            concat(&tables)
        };
        match self.predict(&batch) {
            Ok(predictions) => {
                self.metrics.batch(&self.id.name, batch.len());
                // Monitoring records the batch before the answers go out: they carry the ids.
                let ids: Option<Arc<[u64]>> = self
                    .monitor
                    .as_ref()
                    .and_then(|m| m.observe(&self.id, &batch, &predictions))
                    .map(Into::into);
                let predictions = Arc::new(predictions);
                let mut offset = 0;
                for job in jobs {
                    let n = job.rows.table.len();
                    let answered = Answered {
                        batch: Arc::clone(&predictions),
                        rows: offset..offset + n,
                        ids: ids.clone(),
                    };
                    offset += n;
                    // A client that went away no longer waits for its answer.
                    let _ = job.reply.send(Ok(answered));
                }
                if let Some(observer) = &self.observer {
                    observer.observe(&self.id, &batch, &predictions);
                }
            }
            Err(e) if jobs.len() > 1 => {
                tracing::warn!(model = %self.id.name, error = %e, "batch failed; retrying its requests one by one");
                for job in jobs {
                    self.run_batch(vec![job]);
                }
            }
            Err(e) => {
                for job in jobs {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }

    fn predict(&self, batch: &Table) -> Result<Predictions, WorkerError> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.model.predict(batch))) {
            Ok(Ok(p)) => Ok(p),
            // Rows were checked against the encoder; an encoder error here means the check
            // missed a case, which is still the request's fault.
            Ok(Err(e)) => Err(WorkerError::RowsRefused(e.to_string())),
            Err(_) => {
                tracing::error!(model = %self.id.name, "the model panicked while predicting");
                Err(WorkerError::Panicked {
                    doing: "predicting",
                })
            }
        }
    }
}
