//! Golden hashes of trained weights: the same spec, seed and data must give byte-identical
//! model-file sections after any refactoring. Written at `9330d85`, before the training core
//! was reorganised into one-way fit methods (issue 15); each hash is checked by the test that
//! already trains that model, so the check costs no extra training.
//!
//! A network's `weights` section is burnpack, which also stores each parameter's id, drawn at
//! random per process: its bytes differ between two identical runs. The hash is therefore over
//! the weight *values* (every tensor's f32s, little-endian, in the network's order). A Bayesian
//! model's posterior section is plain JSON of the fitted numbers and is hashed as it is.
//!
//! A change that is *meant* to change numerics (a new default, another summation order) must
//! update the hash here in the same commit and say why in the commit message.

use kiln::artifact::ModelFile;
use sha2::{Digest, Sha256};

/// `mnist-mlp` example, 1 epoch (`accuracy::mnist_mlp_one_epoch_reaches_95_percent`).
pub(crate) const MNIST_MLP_1_EPOCH_WEIGHTS: &str =
    "13ec35ea260758563600249c06c944dd2f2a71670c7e4812e065eb848eda5556";
/// `bnn-moons` example, 50,000 full-batch ADVI iterations
/// (`bayes::bnn_moons_full_batch_reaches_95_percent`).
pub(crate) const BNN_MOONS_POSTERIOR: &str =
    "178d96ca30e5afcec69e14938af7ad47e480bb381f893aa860606a14926222b5";
/// The tiny character language model of `language_model.rs`.
pub(crate) const TINY_LM_WEIGHTS: &str =
    "d948b2261f7a541df4eaa48db32110e42a8b0dd93b55871f838ee62f8e858c90";

/// Panics unless the sha256 of every weight value of `file`'s network is `expected`.
pub(crate) fn assert_weights_hash(what: &str, file: &ModelFile, expected: &str) {
    let model = kiln::TrainedModel::from_file(file.clone(), std::path::Path::new(what))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let network = model.network().expect("a network model");
    let mut hash = Sha256::new();
    let mut count = 0usize;
    for tensor in kiln::model::weights::values(network) {
        count += tensor.len();
        for v in tensor {
            hash.update(v.to_le_bytes());
        }
    }
    let actual = hex::encode(hash.finalize());
    assert_eq!(
        actual, expected,
        "{what}: the weights changed ({count} values); same spec, seed and data must give identical weights"
    );
}

/// Panics unless the sha256 of `file`'s section `section` is `expected`.
pub(crate) fn assert_section_hash(what: &str, file: &ModelFile, section: &str, expected: &str) {
    let bytes = file
        .section(section)
        .unwrap_or_else(|| panic!("{what}: no `{section}` section"));
    let actual = hex::encode(Sha256::digest(bytes));
    assert_eq!(
        actual,
        expected,
        "{what}: the `{section}` section changed ({} bytes); same spec, seed and data must give identical bytes",
        bytes.len()
    );
}
