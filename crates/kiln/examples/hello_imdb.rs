//! Keras' text-classification tutorial (IMDB sentiment from raw reviews) in kiln: the same
//! vectorisation (10,000 words, 250 per review), layers, optimiser and epochs. Run:
//! `cargo run --release --example hello_imdb`.
#![allow(clippy::print_stdout)] // an example program prints its result
use kiln::{Fit, Sequential};

fn main() -> Result<(), kiln::Error> {
    let (train, test) = kiln::datasets::imdb()?;
    let model = Sequential::new()
        .text_vectorization(10_000, 250)
        .embedding(16)
        .dropout(0.2)
        .global_avg_pool1d()
        .dropout(0.2)
        .adam(0.001);
    let model = model.fit(&train, "label", Fit::epochs(10))?;
    println!("{}", model.evaluate(&test)?);
    Ok(())
}
