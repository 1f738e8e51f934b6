//! Mini-batches prepared on a background thread.
//!
//! A [`Batcher`] owns one epoch: it shuffles the row indices (ChaCha8 seeded by the seed, with
//! the epoch as the stream, so every epoch has its own order and every run the same orders),
//! then a worker thread copies row slices into batches and hands them over through a bounded
//! channel, so the next batches are ready while the model trains on the current one.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::features::{Encoded, Targets};

/// How many batches the worker may prepare ahead of the consumer.
const PREFETCH: usize = 4;

/// How batches are cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchConfig {
    /// Rows per batch; the last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Shuffle the rows (training); `false` keeps the given order (evaluation).
    pub shuffle: bool,
    /// Seed of the shuffle.
    pub seed: u64,
}

impl BatchConfig {
    /// Shuffled batches of `batch_size` rows with `seed`.
    pub fn train(batch_size: usize, seed: u64) -> Self {
        Self {
            batch_size,
            shuffle: true,
            seed,
        }
    }

    /// Batches of `batch_size` rows in the given order.
    pub fn eval(batch_size: usize) -> Self {
        Self {
            batch_size,
            shuffle: false,
            seed: 0,
        }
    }
}

/// One mini-batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Inputs, `x_shape` row-major.
    pub x: Vec<f32>,
    /// `[rows, ...row_shape]`.
    pub x_shape: Vec<usize>,
    /// Targets of the same rows, in the same order.
    pub y: Targets,
    /// Number of rows.
    pub rows: usize,
    /// The table rows the batch holds, in order.
    pub indices: Vec<usize>,
}

/// An iterator over the batches of one epoch, prepared on a background thread.
///
/// Dropping it early stops the worker.
#[derive(Debug)]
pub struct Batcher {
    receiver: Option<Receiver<Batch>>,
    worker: Option<JoinHandle<()>>,
    remaining: usize,
}

impl Batcher {
    /// Starts preparing the batches of epoch `epoch` over `rows` (indices into `inputs` and
    /// `targets`).
    ///
    /// # Panics
    /// If `config.batch_size == 0`, if `inputs` and `targets` differ in length, or if a row index
    /// is out of range: all bugs of the caller.
    pub fn new(
        inputs: Arc<Encoded>,
        targets: Arc<Targets>,
        rows: &[usize],
        config: &BatchConfig,
        epoch: u64,
    ) -> Self {
        assert!(config.batch_size > 0, "batch size must be positive");
        assert_eq!(
            inputs.rows,
            targets.len(),
            "inputs and targets differ in rows"
        );
        assert!(
            rows.iter().all(|&r| r < inputs.rows),
            "row index out of range"
        );
        let mut order = rows.to_vec();
        if config.shuffle {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
            rng.set_stream(epoch);
            order.shuffle(&mut rng);
        }
        let batch_size = config.batch_size;
        let remaining = order.len().div_ceil(batch_size);
        let (sender, receiver) = sync_channel(PREFETCH);
        let worker = std::thread::Builder::new()
            .name("kiln-batcher".to_string())
            .spawn(move || produce(&inputs, &targets, &order, batch_size, &sender))
            .expect("spawn batch worker");
        Self {
            receiver: Some(receiver),
            worker: Some(worker),
            remaining,
        }
    }

    /// Number of batches not yet yielded.
    pub fn remaining(&self) -> usize {
        self.remaining
    }
}

fn produce(
    inputs: &Encoded,
    targets: &Targets,
    order: &[usize],
    batch_size: usize,
    sender: &SyncSender<Batch>,
) {
    let d = inputs.row_len();
    for chunk in order.chunks(batch_size) {
        let mut x = Vec::with_capacity(chunk.len() * d);
        for &r in chunk {
            x.extend_from_slice(&inputs.data[r * d..(r + 1) * d]);
        }
        let y = match targets {
            Targets::Classes(c) => Targets::Classes(chunk.iter().map(|&r| c[r]).collect()),
            Targets::Values(v) => Targets::Values(chunk.iter().map(|&r| v[r]).collect()),
        };
        let mut x_shape = Vec::with_capacity(1 + inputs.row_shape.len());
        x_shape.push(chunk.len());
        x_shape.extend_from_slice(&inputs.row_shape);
        let batch = Batch {
            x,
            x_shape,
            y,
            rows: chunk.len(),
            indices: chunk.to_vec(),
        };
        if sender.send(batch).is_err() {
            // The consumer dropped the batcher: stop early.
            return;
        }
    }
}

impl Iterator for Batcher {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let batch = self.receiver.as_ref()?.recv().ok();
        if batch.is_some() {
            self.remaining -= 1;
        }
        batch
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Batcher {}

impl Drop for Batcher {
    fn drop(&mut self) {
        // Dropping the receiver first makes a blocked `send` fail, so the join cannot hang.
        self.receiver.take();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> (Arc<Encoded>, Arc<Targets>) {
        let inputs = Encoded {
            data: (0..n * 2).map(|v| v as f32).collect(),
            rows: n,
            row_shape: vec![2],
        };
        let targets = Targets::Classes((0..n as i64).collect());
        (Arc::new(inputs), Arc::new(targets))
    }

    #[test]
    fn every_index_once_per_epoch_and_epochs_differ() {
        let (x, y) = data(103);
        let rows: Vec<usize> = (0..103).collect();
        let config = BatchConfig::train(10, 9);
        let epoch = |e| {
            let batcher = Batcher::new(x.clone(), y.clone(), &rows, &config, e);
            assert_eq!(batcher.len(), 11);
            batcher.collect::<Vec<_>>()
        };
        let e0 = epoch(0);
        assert_eq!(e0.len(), 11);
        assert_eq!(e0.last().unwrap().rows, 3, "partial batch kept");
        let mut seen: Vec<usize> = e0.iter().flat_map(|b| b.indices.clone()).collect();
        for b in &e0 {
            assert_eq!(b.x_shape, vec![b.rows, 2]);
            let Targets::Classes(c) = &b.y else { panic!() };
            for (i, &r) in b.indices.iter().enumerate() {
                assert_eq!(c[i], r as i64);
                assert_eq!(b.x[i * 2], (r * 2) as f32);
            }
        }
        let order0 = seen.clone();
        seen.sort_unstable();
        assert_eq!(seen, rows);
        let order1: Vec<usize> = epoch(1).iter().flat_map(|b| b.indices.clone()).collect();
        assert_ne!(order0, order1);
        let again: Vec<usize> = epoch(0).iter().flat_map(|b| b.indices.clone()).collect();
        assert_eq!(order0, again);
    }

    #[test]
    fn eval_keeps_order_and_early_drop_stops() {
        let (x, y) = data(50);
        let rows: Vec<usize> = (10..50).rev().collect();
        let b: Vec<usize> = Batcher::new(x.clone(), y.clone(), &rows, &BatchConfig::eval(7), 3)
            .flat_map(|b| b.indices)
            .collect();
        assert_eq!(b, rows);
        let mut early = Batcher::new(x, y, &rows, &BatchConfig::eval(1), 0);
        assert!(early.next().is_some());
        drop(early);
    }
}
