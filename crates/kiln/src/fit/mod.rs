//! The fit methods, siblings that never import each other: each turns prepared data into a
//! [`crate::model_file::Fitted`], and `crate::model_file::finish` does the rest.
//!
//! - [`network`]: gradient descent on a table (with k-fold cross-validation, checkpoints and
//!   resume);
//! - [`advi`]: a Bayesian network fitted by ADVI (`training.method = "advi"`);
//! - [`language`]: a character-level language model (`[language_model]`).
//!
//! `crate::pipeline` names them all and picks one per spec.

pub(crate) mod advi;
pub(crate) mod language;
pub(crate) mod network;
