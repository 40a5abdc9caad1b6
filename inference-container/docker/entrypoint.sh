#!/bin/sh
# Starts the inference service as this process: `exec` replaces the shell with node, so the
# SIGTERM that the container runtime (through tini) sends reaches the service, which stops
# accepting, finishes in-flight batches and exits 0.
set -eu
APP_DIR="${APP_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$APP_DIR/inference-container"

# Downloaded packs go to a writable folder; the image's own files stay read-only.
export MODEL_CACHE_DIR="${MODEL_CACHE_DIR:-${TMPDIR:-/tmp}/detector-model-cache}"

exec node --import tsx src/main.ts "$@"
