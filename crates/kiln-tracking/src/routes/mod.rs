//! One router per family of MLflow endpoints, none importing another; [`crate::router`]
//! merges them.

pub(crate) mod artifacts;
pub(crate) mod experiments;
pub(crate) mod registry;
pub(crate) mod runs;
pub(crate) mod server;
