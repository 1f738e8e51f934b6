//! Weights to and from bytes, in Burn's burnpack format.

use burn::module::Module;
use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::Device;

use crate::{ModelError, Network, NetworkConfig};

/// Serialises the network's parameters (and batch-norm running statistics) as burnpack bytes.
///
/// # Errors
///
/// [`ModelError::Weights`] if Burn cannot collect the tensors.
pub fn to_bytes(network: &Network) -> Result<Vec<u8>, ModelError> {
    let mut store = BurnpackStore::from_bytes(None);
    // `valid()` brings batch-norm running statistics up to date: Burn defers their last
    // update until something syncs them, and a plain save would miss the latest step.
    network
        .valid()
        .save_into(&mut store)
        .map_err(|e| ModelError::Weights(e.to_string()))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| ModelError::Weights(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// The network's parameters (and batch-norm running statistics) as a safetensors file, for
/// other frameworks: each tensor under its module path (`layers.0.linear.weight`, …; Burn's
/// dense weight is `[in, out]`, the transpose of PyTorch's `nn.Linear.weight`).
///
/// # Errors
///
/// [`ModelError::Weights`] if Burn cannot collect or write the tensors.
pub fn to_safetensors(network: &Network) -> Result<Vec<u8>, ModelError> {
    let mut store = burn::store::SafetensorsStore::from_bytes(None);
    network
        .valid()
        .save_into(&mut store)
        .map_err(|e| ModelError::Weights(e.to_string()))?;
    store
        .get_bytes()
        .map_err(|e| ModelError::Weights(e.to_string()))
}

/// Builds the network described by `config` on `device` and loads `bytes` into it.
///
/// # Errors
///
/// [`ModelError::Weights`] when the bytes are not burnpack or do not match the structure
/// (a tensor missing, unused, or of another shape).
pub fn from_bytes(
    config: &NetworkConfig,
    bytes: &[u8],
    device: &Device,
) -> Result<Network, ModelError> {
    // The seed is irrelevant: every value is overwritten by the loaded weights.
    let mut network = config.init(device, 0)?;
    let mut store =
        BurnpackStore::from_bytes(Some(burn::tensor::Bytes::from_bytes_vec(bytes.to_vec())));
    let result = network
        .load_from(&mut store)
        .map_err(|e| ModelError::Weights(e.to_string()))?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(ModelError::Weights(format!(
            "{} errors, missing {:?}, unused {:?}",
            result.errors.len(),
            result.missing.iter().map(|m| &m.0).collect::<Vec<_>>(),
            result.unused
        )));
    }
    Ok(network)
}

/// Number of values in the network: trainable parameters plus batch-norm running statistics.
pub fn parameter_count(network: &Network) -> usize {
    network.num_params()
}

/// Every parameter's values, in the module's visiting order: a byte-stable view of the
/// weights (burnpack bytes also carry random parameter ids).
pub fn values(network: &Network) -> Vec<Vec<f32>> {
    network
        .collect(None, None, false)
        .into_iter()
        .map(|t| {
            t.to_bytes()
                .map(|b| {
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}
