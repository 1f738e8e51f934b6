#!/usr/bin/env bash
# kiln vs PyTorch, one MNIST training epoch (MLP and CNN). See bench/README.md and the
# docstring of train_vs_torch.py for the environment variables (MLP_REPEATS, CNN_REPEATS, ...).
set -euo pipefail
exec python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/train_vs_torch.py" "$@"
