//! The generation thread of a served character-level language model: one per model, fed by a
//! bounded queue (`try_send`: full → 503), sending each sampled character into a small bounded
//! channel that the route handler (`crate::routes::generate`) drains. When the client goes away the
//! handler drops the channel's receiver, and the thread stops that generation at its next
//! character; a client that stops reading without disconnecting holds the thread at most
//! `request_timeout`. Architecture invariant (as for classification): a model never runs on
//! the async runtime. This module knows no HTTP.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use kiln::TrainedModel;
use kiln::lm::{CharVocab, GenerateOptions, LanguageModel};
use tokio::sync::mpsc;

use crate::error::{ServeError, WorkerError};
use crate::metrics::Metrics;
use crate::model_id::ModelId;

/// Characters the generation thread may run ahead of the client.
const CHANNEL_CAPACITY: usize = 16;

/// What the generation thread sends a handler.
#[derive(Debug)]
pub(crate) enum Chunk {
    Char(char),
    Done,
    Failed(WorkerError),
}

/// A checked generation request waiting for the thread.
struct Job {
    prompt: String,
    options: GenerateOptions,
    out: mpsc::Sender<Chunk>,
    enqueued: Instant,
}

/// The handle requests use to reach one language model's generation thread.
#[derive(Debug)]
pub(crate) struct Generator {
    tx: Sender<Job>,
    vocab: CharVocab,
    generated: Arc<AtomicU64>,
}

impl Generator {
    /// Starts the generation thread of language model `model`. The thread shares the model's
    /// weights and ends when the handle is dropped and its queue is empty.
    pub(crate) fn start(
        model: &TrainedModel,
        path: &std::path::Path,
        id: &ModelId,
        queue_capacity: usize,
        send_timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ServeError> {
        let lm = LanguageModel::from_trained(model).map_err(|e| ServeError::Load {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        let vocab = lm.vocabulary().clone();
        let (tx, rx) = crossbeam_channel::bounded(queue_capacity.max(1));
        let generated = Arc::new(AtomicU64::new(0));
        let worker = Worker {
            lm,
            id: id.clone(),
            metrics,
            generated: Arc::clone(&generated),
            send_timeout,
        };
        std::thread::Builder::new()
            .name(format!("kiln-generate-{}", id.name))
            .spawn(move || worker.run(&rx))
            .map_err(ServeError::Thread)?;
        Ok(Self {
            tx,
            vocab,
            generated,
        })
    }

    /// Queues a checked request; the characters arrive on the returned receiver, then
    /// [`Chunk::Done`].
    pub(crate) fn submit(
        &self,
        prompt: String,
        options: GenerateOptions,
    ) -> Result<mpsc::Receiver<Chunk>, WorkerError> {
        let (out, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let job = Job {
            prompt,
            options,
            out,
            enqueued: Instant::now(),
        };
        match self.tx.try_send(job) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(WorkerError::QueueFull {
                queue: "generation queue",
            }),
            Err(TrySendError::Disconnected(_)) => Err(WorkerError::Stopped {
                worker: "generation thread",
            }),
        }
    }

    /// The characters the model knows (prompts are checked against them).
    pub(crate) fn vocab(&self) -> &CharVocab {
        &self.vocab
    }

    /// Characters generated since the thread started.
    pub(crate) fn generated(&self) -> u64 {
        self.generated.load(Ordering::Relaxed)
    }
}

struct Worker {
    lm: LanguageModel,
    id: ModelId,
    metrics: Arc<Metrics>,
    generated: Arc<AtomicU64>,
    send_timeout: Duration,
}

impl Worker {
    fn run(self, rx: &Receiver<Job>) {
        while let Ok(job) = rx.recv() {
            self.metrics
                .queue_wait(&self.id.name, job.enqueued.elapsed());
            if job.out.is_closed() {
                continue;
            }
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| self.generate(&job)));
            let last = match outcome {
                Ok(Ok(true)) => Chunk::Done,
                Ok(Ok(false)) => continue,
                Ok(Err(e)) => Chunk::Failed(e),
                Err(_) => {
                    tracing::error!(model = %self.id.name, "the model panicked while generating");
                    Chunk::Failed(WorkerError::Panicked {
                        doing: "generating",
                    })
                }
            };
            self.send(&job.out, last);
        }
        tracing::debug!(model = %self.id.name, version = %self.id.version, "generation thread stopped");
    }

    /// Streams one job's characters; `Ok(false)` when the client went away first.
    fn generate(&self, job: &Job) -> Result<bool, WorkerError> {
        let generation = self
            .lm
            .generate(&job.prompt, &job.options)
            .map_err(|e| WorkerError::PromptRefused(e.to_string()))?;
        for c in generation {
            self.generated.fetch_add(1, Ordering::Relaxed);
            if !self.send(&job.out, Chunk::Char(c)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Sends one chunk, waiting while the client is behind (at most `send_timeout`); false
    /// when the client is gone or too slow.
    fn send(&self, out: &mpsc::Sender<Chunk>, chunk: Chunk) -> bool {
        let deadline = Instant::now() + self.send_timeout;
        let mut chunk = chunk;
        loop {
            match out.try_send(chunk) {
                Ok(()) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
                Err(mpsc::error::TrySendError::Full(back)) => {
                    if Instant::now() >= deadline {
                        tracing::info!(model = %self.id.name, "a client stopped reading its generation; abandoned");
                        return false;
                    }
                    chunk = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
}
