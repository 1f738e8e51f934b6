#!/usr/bin/env bash
# kiln vs PyTorch: the character-level LSTM language model (shakespeare-char), same corpus,
# windows, architecture, hyper-parameters and epochs; held-out bits/char and training time.
# See bench/README.md and the docstring of charlm_vs_torch.py for the environment variables.
set -euo pipefail
exec python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/charlm_vs_torch.py" "$@"
