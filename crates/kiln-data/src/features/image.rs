//! `image` inputs: fixed-size images emitted channel-first (`[channels, height, width]`), each
//! byte times a scale (1/255 by default). An image is always the only input of a model
//! ([`InputLayout::Image`](crate::features::InputLayout::Image)), so it writes whole rows.

use kiln_spec::options::ImageTransform;
use kiln_spec::settings::ImageInput;

use crate::error::Result;
use crate::features::cells::{feature_err, wrong_type};
use crate::features::input::FittedInput;
use crate::table::{Column, ColumnData};

/// Fits an image input: its size, from the column, and its scaling.
pub(crate) fn fit(spec: &ImageInput, column: &Column) -> Result<FittedInput> {
    let ColumnData::Image(img) = &column.data else {
        return Err(wrong_type(column, "image"));
    };
    let scale = match spec.transform {
        ImageTransform::Scale => 1.0 / 255.0,
        ImageTransform::None => 1.0,
    };
    Ok(FittedInput::Image {
        name: spec.name.clone(),
        height: img.height,
        width: img.width,
        channels: img.channels,
        scale,
    })
}

/// Writes every image of `column` into `out`, one whole row each: `out` is the encoded batch
/// of a model whose only input this image is.
pub(crate) fn encode(
    (height, width, channels): (usize, usize, usize),
    scale: f32,
    column: &Column,
    out: &mut [f32],
) -> Result<()> {
    let ColumnData::Image(img) = &column.data else {
        return Err(wrong_type(column, "image"));
    };
    if (img.height, img.width, img.channels) != (height, width, channels) {
        return Err(feature_err(
            &column.name,
            format!(
                "expected {height}×{width}×{channels} images, found {}×{}×{}",
                img.height, img.width, img.channels
            ),
        ));
    }
    encode_images_chw(&img.pixels, height * width, channels, scale, out);
    Ok(())
}

/// Writes `[n, hw, c]` bytes as `[n, c, hw]` floats times `scale` into `out`.
fn encode_images_chw(pixels: &[u8], hw: usize, c: usize, scale: f32, out: &mut [f32]) {
    if c == 1 {
        for (o, &p) in out.iter_mut().zip(pixels) {
            *o = f32::from(p) * scale;
        }
        return;
    }
    let size = hw * c;
    for (src, dst) in pixels.chunks_exact(size).zip(out.chunks_exact_mut(size)) {
        for (i, px) in src.chunks_exact(c).enumerate() {
            for (ch, &p) in px.iter().enumerate() {
                dst[ch * hw + i] = f32::from(p) * scale;
            }
        }
    }
}
