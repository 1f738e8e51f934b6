//! Keras' MNIST hello world, in kiln. Run: `cargo run --release --example hello_mnist`.
#![allow(clippy::print_stdout)] // an example program prints its result
use kiln::{Fit, Sequential, spec::Activation::Relu};

fn main() -> Result<(), kiln::Error> {
    let (train, test) = kiln::datasets::mnist()?;
    let model = Sequential::new()
        .flatten()
        .dense(128, Relu)
        .dropout(0.2)
        .adam(0.001);
    let model = model.fit(&train, "label", Fit::epochs(5))?;
    println!("{}", model.evaluate(&test)?);
    Ok(())
}
