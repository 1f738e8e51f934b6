//! The commented example specs behind `kiln init --example NAME`.
//!
//! Each one reproduces a well-known Keras model, so its accuracy and parameter count can be
//! checked against the original. Every example parses, validates and passes shape inference
//! (tested below and in `tests/it`).

/// The example names, in the order `kiln init --list` shows them.
pub const NAMES: &[&str] = &[
    "mnist-mlp",
    "mnist-cnn",
    "boston",
    "moons-mlp",
    "bnn-moons",
    "shakespeare-char",
    "imdb",
    "text-cnn",
    "spam",
];

/// The text of an example spec, or `None` for an unknown name.
pub fn example(name: &str) -> Option<&'static str> {
    match name {
        "mnist-mlp" => Some(MNIST_MLP),
        "mnist-cnn" => Some(MNIST_CNN),
        "boston" => Some(BOSTON),
        "moons-mlp" => Some(MOONS_MLP),
        "bnn-moons" => Some(BNN_MOONS),
        "shakespeare-char" => Some(SHAKESPEARE_CHAR),
        "imdb" => Some(IMDB),
        "text-cnn" => Some(TEXT_CNN),
        "spam" => Some(SPAM),
        _ => None,
    }
}

const MNIST_MLP: &str = r#"# MNIST digits with a small multilayer perceptron: the TensorFlow 2 quickstart
# (https://www.tensorflow.org/tutorials/quickstart/beginner): the same layers, optimizer, batch
# size and epochs. Like the quickstart it trains on all 60,000 images; a larger Adam step with
# cosine decay takes it from the quickstart's ~97.7% to ~98.1% test accuracy in the same
# 5 epochs. `kiln inspect` shows 101,770 parameters, as Keras' model.summary() does.

name = "mnist-mlp"

[data]
# A built-in dataset: kiln fetches and caches it on first use. `mnist` is the 60,000 training
# images; `mnist:test` the separate 10,000 test images. Columns: `image` (28×28 grey pixels)
# and `label` (the digit 0–9).
source = "mnist"
test = "mnist:test"

[data.split]
# Rows are shuffled (with `seed`) before splitting, never split off the tail. Set
# `validation = 0.1` to hold out 10% of the training images and see validation metrics after
# each epoch (early stopping needs them). `test` is 0 because the test rows come from
# `data.test` above.
validation = 0.0
test = 0.0

# Inputs, in the order the network sees them. An image input arrives as [channels, height,
# width] = [1, 28, 28].
[[input]]
name = "image"
type = "image"
# Divide pixels by 255 so they lie in [0, 1]. Fitted transforms are stored in the model file,
# so `predict` and `serve` apply exactly what training used.
transform = "scale"

# The single output. `category` means multi-class classification: kiln appends the output
# head, a dense layer with one unit per class (10 here, counted from the data), and trains it
# with softmax cross-entropy. Do not add that last layer yourself.
[output]
name = "label"
type = "category"

# The layer stack between the inputs and the head, like keras.Sequential without the last
# Dense. The head above is appended after the last layer listed here.
[[layers]]
type = "flatten"       # [1, 28, 28] → [784]

[[layers]]
type = "dense"
units = 128
activation = "relu"

[[layers]]
type = "dropout"
rate = 0.2             # active while training only

[training]
batch_size = 32
epochs = 5
seed = 42              # weight init, dropout and batch order

[training.optimizer]
type = "adam"          # Keras' defaults: beta1 0.9, beta2 0.999, epsilon 1e-7
learning_rate = 0.003

[training.lr_schedule]
type = "cosine"        # 0.003 → 0 over the 5 epochs (PyTorch's CosineAnnealingLR)
"#;

const MNIST_CNN: &str = r#"# MNIST digits with a small convolutional network: keras.io's "Simple MNIST convnet"
# (https://keras.io/examples/vision/mnist_convnet/): the same layers, batch size, optimizer and
# epochs. Measured: 99.29% test accuracy (seed 42), ~30–45 s per epoch on 2 CPU cores. With
# keras.io's exact settings (Adam 0.001 constant, 10% validation) kiln measured 99.13%; a larger
# step with cosine decay, trained on all 60,000 images, gains the rest.
# `kiln inspect` shows 34,826 parameters (320 + 18,496 + 16,010), as model.summary() does.

name = "mnist-cnn"

[data]
# Built-in: `image` (28×28 grey pixels) and `label` (0–9); `mnist:test` is the 10,000-image
# test set.
source = "mnist"
test = "mnist:test"

[data.split]
# All 60,000 training images are used. `validation = 0.1` gives keras.io's
# validation_split=0.1 (kiln shuffles before splitting) and per-epoch validation metrics.
validation = 0.0

[[input]]
name = "image"
type = "image"         # seen as [channels, height, width] = [1, 28, 28]
transform = "scale"    # pixels / 255; stored in the model file with the weights

# Multi-class output: kiln appends a dense head with one unit per class (10) and trains it
# with softmax cross-entropy; there is no final Dense(10, softmax) to write here.
[output]
name = "label"
type = "category"

# Output shapes are [channels, height, width] until `flatten`.
[[layers]]
type = "conv2d"        # → [32, 26, 26]
filters = 32
kernel = 3
activation = "relu"

[[layers]]
type = "max_pool2d"    # → [32, 13, 13]
size = 2

[[layers]]
type = "conv2d"        # → [64, 11, 11]
filters = 64
kernel = 3
activation = "relu"

[[layers]]
type = "max_pool2d"    # → [64, 5, 5]
size = 2

[[layers]]
type = "flatten"       # → [1600]

[[layers]]
type = "dropout"
rate = 0.5

[training]
batch_size = 128
epochs = 15

[training.optimizer]
type = "adam"
learning_rate = 0.002

[training.lr_schedule]
type = "cosine"        # 0.002 → 0 over the 15 epochs (PyTorch's CosineAnnealingLR)
"#;

const BOSTON: &str = r#"# Boston house prices, regression with a small MLP: Chollet, "Deep Learning with Python",
# section 3.6 (the final model: 80 epochs, batch 16). Expect a test mean absolute error of
# about 2.5 (thousands of dollars).

name = "boston"

[data]
# Built-in: 506 rows, 13 numeric columns and the target `medv` (median value, k$).
source = "boston"

[data.split]
# 20% of the rows are the test set, as keras.datasets.boston_housing does. Chollet picks the
# epoch count with K-fold validation and then trains on all the training rows, hence 0 here.
test = 0.2
validation = 0.0

# Every input is standardised: (x - mean) / std with the mean and std of the training rows
# only. They are stored in the model file, so prediction uses the same numbers.
[[input]]
name = "crim"
type = "number"
transform = "standardize"

[[input]]
name = "zn"
type = "number"
transform = "standardize"

[[input]]
name = "indus"
type = "number"
transform = "standardize"

[[input]]
name = "chas"
type = "number"
transform = "standardize"

[[input]]
name = "nox"
type = "number"
transform = "standardize"

[[input]]
name = "rm"
type = "number"
transform = "standardize"

[[input]]
name = "age"
type = "number"
transform = "standardize"

[[input]]
name = "dis"
type = "number"
transform = "standardize"

[[input]]
name = "rad"
type = "number"
transform = "standardize"

[[input]]
name = "tax"
type = "number"
transform = "standardize"

[[input]]
name = "ptratio"
type = "number"
transform = "standardize"

[[input]]
name = "b"
type = "number"
transform = "standardize"

[[input]]
name = "lstat"
type = "number"
transform = "standardize"

# A number output makes a regression: kiln appends a dense head with 1 unit and no
# activation, trained with mean squared error (and reports MAE). The target is left in k$,
# as in the book; `transform = "standardize"` would scale it and undo that at prediction.
[output]
name = "medv"
type = "number"
transform = "none"

[[layers]]
type = "dense"
units = 64
activation = "relu"

[[layers]]
type = "dense"
units = 64
activation = "relu"

[training]
batch_size = 16
epochs = 80

[training.optimizer]
type = "rmsprop"       # Keras' defaults: rho 0.9, epsilon 1e-7
learning_rate = 0.001
"#;

const MOONS_MLP: &str = r#"# Two interleaving half circles ("moons") separated by a small MLP: the classic
# scikit-learn make_moons toy problem, trained the Keras way. Measured: 96.2% test accuracy (95.8–96.8% over seeds).

name = "moons-mlp"

[data]
# A generated dataset: no download. Columns: `x0`, `x1` (the point) and `label` (0 or 1).
source = "moons"

[data.generate]
samples = 1000
noise = 0.2            # standard deviation of the Gaussian noise added to each point
seed = 0

[data.split]
# Half the points are the test set (a 50/50 train/test split); 10% of the training half is
# held out for validation, which early stopping watches. Splits keep the class proportions.
test = 0.5
validation = 0.1
stratify = true

[[input]]
name = "x0"
type = "number"
transform = "standardize"   # mean and std of the training rows, stored in the model file

[[input]]
name = "x1"
type = "number"
transform = "standardize"

# Two classes as `category`: a 2-unit softmax head, appended by kiln. `type = "binary"`
# would give a 1-unit sigmoid head instead, like Dense(1, activation="sigmoid").
[output]
name = "label"
type = "category"

# Two small tanh layers: the boundary is smooth, and wider ReLU stacks only fit the noise.
[[layers]]
type = "dense"
units = 8
activation = "tanh"

[[layers]]
type = "dense"
units = 8
activation = "tanh"

[training]
batch_size = 32
epochs = 100

[training.optimizer]
type = "adam"
learning_rate = 0.003

# keras.callbacks.EarlyStopping(monitor="val_loss", patience=20, restore_best_weights=True)
[training.early_stopping]
monitor = "val_loss"
patience = 20
restore_best = true
"#;

const BNN_MOONS: &str = r#"# A Bayesian neural network fitted by ADVI, every prediction with its uncertainty: the
# PyMC3 "Bayesian Deep Learning" model (Wiecki) reproduced. Every weight has a Normal(0, 1)
# prior and a mean-field Gaussian posterior, fitted by 50,000 steps of ADVI on the full
# training half. `kiln predict` reports the mean probability, its standard deviation and a
# 94% credible interval; `kiln report MODEL -o moons.png` draws them over the plane.
# Measured: 95.8% test accuracy (minibatch of 50: 95.8%), the ADVI loop taking ~0.6 s of CPU
# time on a 2-core machine (the seed reports 94.2%; the issue quotes 95.6% for PyMC 5).

name = "bnn-moons"

[data]
source = "moons"

[data.generate]
samples = 1000
noise = 0.2
seed = 0

[data.split]
# The seed's train_test_split(test_size=0.5); no validation rows: ADVI uses every
# training point, like the seed.
test = 0.5
validation = 0.0

[[input]]
name = "x0"
type = "number"
transform = "standardize"

[[input]]
name = "x1"
type = "number"
transform = "standardize"

# Binary: one logistic output, a Bernoulli likelihood.
[output]
name = "label"
type = "binary"

# Two hidden layers of 5 tanh units, no biases, N(0, 1) priors. The output layer kiln
# appends takes the last layer's `bias` and `bayesian` settings: 5 weights, N(0, 1).
[[layers]]
type = "dense"
units = 5
activation = "tanh"
bias = false
bayesian = { prior_sigma = 1.0 }

[[layers]]
type = "dense"
units = 5
activation = "tanh"
bias = false
bayesian = { prior_sigma = 1.0 }

[training]
method = "advi"
seed = 0

# pm.fit(50_000, method="advi"): one Monte-Carlo sample per step, PyMC's adagrad_window
# optimiser (learning rate 0.001, window 10). Set `batch_size = 50` for minibatch ADVI
# (the likelihood is scaled by rows / batch, PyMC's total_size).
[training.advi]
iterations = 50_000
samples = 1
# Every weight's posterior std starts at 0.1 (PyMC's `start_sigma`), its mean at a draw from
# the prior. PyMC's default start, std 0.69, sends some seeds to a near-linear optimum.
init_sigma = 0.1
predict_samples = 100   # posterior draws per prediction
interval = 0.94         # central credible interval, ArviZ's default mass

[training.advi.optimizer]
type = "adagrad_window"
learning_rate = 0.001
window = 10
"#;

const SHAKESPEARE_CHAR: &str = r#"# A character-level language model on Shakespeare: the architecture of the Keras text-generation
# example (embedding → LSTM → LSTM → dense softmax over the characters), trained to predict the
# character that follows each window of text. The metric is bits per character on the last 10%
# of the corpus, which training never sees. Then write new text:
#
#     kiln train shakespeare-char.toml
#     kiln generate shakespeare-char.kiln --prompt "ROMEO:" --length 400 --temperature 0.7
#
# Sized to train in a few minutes on a laptop CPU: the first 200,000 characters, 128 units.
# Scale up for better text: remove `max_chars` (all 5 million characters), units = 512,
# sequence_length = 100, more epochs (or run on a GPU: the `cuda` feature).

name = "shakespeare-char"

[data]
# `shakespeare` is the built-in corpus (42 works, fetched into the cache on first use); a path
# to any UTF-8 text file works too.
source = "shakespeare"

[language_model]
sequence_length = 40   # characters of context per window
step = 3               # a training window starts every 3 characters
holdout = 0.1          # the last 10% is held out: bits per character are measured there
max_chars = 200000     # use only the first 200,000 characters (leave out for all of them)

# The output is the next character, a category; its classes are the corpus's characters, and
# the vocabulary is stored in the model file.
[output]
name = "next_char"
type = "category"

[[layers]]
type = "embedding"
dim = 32               # `vocab` is taken from the corpus

[[layers]]
type = "lstm"
units = 128
return_sequences = true   # feed every step to the next LSTM

[[layers]]
type = "lstm"
units = 128               # the final state feeds the softmax head kiln appends

[training]
batch_size = 128
epochs = 5
seed = 42

[training.optimizer]
type = "adam"
learning_rate = 0.003
"#;

const IMDB: &str = r#"# IMDB movie-review sentiment from a bag of words: Chollet, "Deep Learning with Python",
# section 3.4 — each review becomes a 10,000-word multi-hot vector, then dense 16 relu →
# dense 16 relu → sigmoid, RMSprop, 4 epochs of batch 512. The book reports ~88% test accuracy
# with 25,000 training and 25,000 test reviews; this spec splits the same way.

name = "imdb"

[data]
# Built-in: 50,000 reviews (Maas et al. 2011); columns `text` and `label` (0 negative,
# 1 positive). The package keeps no train/test split and lists all negatives first: kiln
# shuffles (with `seed`) before splitting, and stratifies so both halves are 50/50.
source = "imdb"

[data.split]
test = 0.5             # 25,000 test reviews, as in the book
validation = 0.0       # the book's final model trains on all 25,000 training reviews
seed = 42

# A text input: tokenised into words, then encoded against a vocabulary fitted on the
# training reviews only. The vocabulary is stored in the model file, so `predict` and `serve`
# tokenise exactly as training did.
[[input]]
name = "text"
type = "text"
tokenizer = "word"     # runs of letters and digits; `char` for characters
lowercase = true
strip_html = true      # the reviews contain `<br />` tags
strip_punctuation = true
max_tokens = 10000     # the 10,000 most frequent words, like num_words=10000
encoding = "multi_hot" # [10,001]: one slot per word plus one for out-of-vocabulary words

[output]
name = "label"
type = "binary"        # a 1-unit sigmoid head, appended by kiln

[[layers]]
type = "dense"
units = 16
activation = "relu"

[[layers]]
type = "dense"
units = 16
activation = "relu"

[training]
batch_size = 512
epochs = 4
seed = 42

[training.optimizer]
type = "rmsprop"       # Keras' defaults: learning rate 0.001, rho 0.9
learning_rate = 0.001
"#;

const TEXT_CNN: &str = r#"# IMDB movie-review sentiment with a convolutional text classifier (Kim 2014; the
# "sequence" side of Chollet's chapter 11): each review becomes its first 400 word ids, an
# embedding turns them into vectors, 128 filters of width 5 slide over the words, and the
# largest response of each filter anywhere in the review feeds a small dense layer.

name = "text-cnn"

[data]
# Built-in: 50,000 reviews (Maas et al. 2011); kiln shuffles (with `seed`) and stratifies.
source = "imdb"

[data.split]
test = 0.5             # 25,000 test reviews, as in the book
validation = 0.0
seed = 42

[[input]]
name = "text"
type = "text"
tokenizer = "word"
lowercase = true
strip_html = true      # the reviews contain `<br />` tags
strip_punctuation = true
max_tokens = 20000     # the 20,000 most frequent words of the training reviews
encoding = "sequence"  # word ids, not a bag of words: word order reaches the model
length = 400           # ids per review, padded with 0 or truncated ("auto" picks the 95th percentile)

[output]
name = "label"
type = "binary"        # a 1-unit sigmoid head, appended by kiln

[[layers]]
type = "embedding"     # [400] ids → [400, 64]; id 0 is padding and is masked downstream
dim = 64
init = "uniform"       # Keras' U(-0.05, 0.05); PyTorch's N(0, 1) (the default) trains far slower here

[[layers]]
type = "dropout"
rate = 0.2

[[layers]]
type = "conv1d"        # [400, 64] → [400, 128]; `same` keeps one output per word
filters = 128
kernel = 5
padding = "same"
activation = "relu"

[[layers]]
type = "global_max_pool1d"  # [400, 128] → [128]: each filter's strongest match, padding skipped

[[layers]]
type = "dense"
units = 64
activation = "relu"

[[layers]]
type = "dropout"
rate = 0.5

[training]
batch_size = 32
epochs = 3
seed = 42

[training.optimizer]
type = "adam"
learning_rate = 0.001
"#;

const SPAM: &str = r#"# Spam or ham from raw emails (the SpamAssassin public corpus), with the IMDB recipe: a
# multi-hot bag of words over the training vocabulary, two small dense layers, a sigmoid
# head. The classification report gives spam's precision, recall and F1.

name = "spam"

[data]
# Built-in: 6,046 emails with their headers, read as raw bytes (`text`), `label` = ham or spam
# (4,150 ham from easy-ham-1/2 and hard-ham-1, 1,896 spam from spam-1/2), and `group`.
source = "spam"

[data.split]
test = 0.2             # stratified: both splits keep the 69/31 ham/spam mix
validation = 0.1
seed = 42

[[input]]
name = "text"
type = "text"
tokenizer = "word"
lowercase = true
strip_html = true      # HTML mail: drop the tags, keep the words
max_tokens = 10000
min_frequency = 2      # words seen once are mostly message ids and hashes
encoding = "multi_hot"
# One email in twelve is not valid UTF-8 (Latin-1, Windows-1252, GB2312 …). `replace` reads
# the bytes with U+FFFD for the invalid ones and says how many rows had them; `reject`
# would refuse them, and tokenizer = "char" with unit = "byte" reads raw bytes.
utf8 = "replace"

[output]
name = "label"
type = "binary"        # classes sorted: ham = 0, spam = 1

[[layers]]
type = "dense"
units = 16
activation = "relu"

[[layers]]
type = "dense"
units = 16
activation = "relu"

[training]
batch_size = 64
epochs = 8
seed = 42

[training.optimizer]
type = "rmsprop"
learning_rate = 0.001
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_an_example_that_parses() {
        for name in NAMES {
            let text = example(name).unwrap();
            let spec = crate::parse_spec(text, &format!("{name}.toml"))
                .unwrap_or_else(|e| panic!("example {name}: {e}"));
            assert_eq!(&spec.name, name);
        }
        assert_eq!(example("nope"), None);
    }
}
