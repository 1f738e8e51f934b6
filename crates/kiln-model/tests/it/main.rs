//! Integration tests for kiln-model.
#[test]
fn placeholder() {}
