//! The harness: a temporary folder, the binary, and assertions on its output.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A temporary working folder with its own empty dataset cache.
pub(crate) struct Dir {
    root: tempfile::TempDir,
}

impl Dir {
    pub(crate) fn new() -> Self {
        Self {
            root: tempfile::tempdir().expect("create a temporary folder"),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write a test file");
        path
    }

    pub(crate) fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// The `kiln` command, ready to run in this folder.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
        cmd.args(args)
            .current_dir(self.root.path())
            .env("KILN_CACHE", self.path("cache"))
            // Tests never write to the user's runs store.
            .env("KILN_TRACKING_URI", self.path("runs"))
            .env_remove("KILN_DEVICE");
        cmd
    }

    /// Runs `kiln ARGS` to completion.
    pub(crate) fn kiln(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("run the kiln binary");
        Run::new(args, output)
    }

    /// `kiln init --example moons-mlp -o moons.toml`, then training it for 3 epochs into
    /// `moons.kiln`.
    pub(crate) fn trained_moons(&self) -> PathBuf {
        self.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
            .success();
        self.kiln(&[
            "train",
            "moons.toml",
            "-o",
            "moons.kiln",
            "--epochs",
            "3",
            "--quiet",
        ])
        .success();
        let model = self.path("moons.kiln");
        assert!(model.is_file(), "no model file written");
        model
    }
}

/// A finished run of the binary.
pub(crate) struct Run {
    pub(crate) args: String,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn new(args: &[&str], output: Output) -> Self {
        Self {
            args: args.join(" "),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn context(&self) -> String {
        format!(
            "kiln {}\nexit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("internal error"),
            "kiln panicked:\n{}",
            self.context()
        );
    }

    /// Exit code 0, no panic.
    pub(crate) fn success(&self) -> &Self {
        self.assert_no_panic();
        assert_eq!(self.code, Some(0), "expected success:\n{}", self.context());
        self
    }

    /// A non-zero exit with an `error: ` line and every `needle` on stderr, no panic.
    pub(crate) fn fails_with(&self, needles: &[&str]) -> &Self {
        self.assert_no_panic();
        assert_ne!(self.code, Some(0), "expected failure:\n{}", self.context());
        assert!(
            self.stderr.lines().any(|l| l.starts_with("error: ")),
            "no error line:\n{}",
            self.context()
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}:\n{}",
                self.context()
            );
        }
        self
    }

    /// stdout parsed as JSON lines.
    pub(crate) fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{}", self.context()))
            })
            .collect()
    }

    /// stdout parsed as one JSON document.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e})\n{}", self.context()))
    }
}

/// A spec for a CSV file with columns `x` (number), `color` (category) and `label`.
pub(crate) fn colors_spec(source: &str) -> String {
    format!(
        r#"name = "colors"

[data]
source = "{source}"

[data.split]
test = 0.2
validation = 0.0

[[input]]
name = "x"
type = "number"
transform = "standardize"

[[input]]
name = "color"
type = "category"

[output]
name = "label"
type = "category"

[[layers]]
type = "dense"
units = 4
activation = "relu"

[training]
epochs = 2
batch_size = 4
"#
    )
}

/// Ten rows of `x,color,label` with colors red, green and blue.
pub(crate) const COLORS_CSV: &str = "x,color,label
1,red,a
2,blue,b
3,red,a
4,green,b
5,blue,a
6,green,b
7,red,a
8,blue,b
9,green,a
10,red,b
";
