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
    network
        .save_into(&mut store)
        .map_err(|e| ModelError::Weights(e.to_string()))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| ModelError::Weights(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// Builds the network described by `config` on `device` and loads `bytes` into it.
///
/// # Errors
///
/// [`ModelError::Weights`] when the bytes are not burnpack or do not match the structure
/// (a tensor missing, unused, or of another shape).
pub fn from_bytes(config: &NetworkConfig, bytes: &[u8], device: &Device) -> Result<Network, ModelError> {
    let mut network = config.init(device)?;
    let mut store = BurnpackStore::from_bytes(Some(burn::tensor::Bytes::from_bytes_vec(bytes.to_vec())));
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

/// Number of trainable values in the network.
pub fn parameter_count(network: &Network) -> usize {
    network.num_params()
}
