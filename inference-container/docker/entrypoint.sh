#!/bin/sh
# Starts the inference service as this process: `exec` replaces the shell with node, so the
# SIGTERM that the container runtime (through tini) sends reaches the service, which stops
# accepting, finishes in-flight batches and exits 0.
set -eu
APP_DIR="${APP_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$APP_DIR/inference-container"

# Downloaded packs go to a writable folder; the image's own files stay read-only.
export MODEL_CACHE_DIR="${MODEL_CACHE_DIR:-${TMPDIR:-/tmp}/detector-model-cache}"

# glibc gives every thread that allocates (the model worker, ONNX Runtime's pool) its own heap
# arena, and memory freed in one is not reused by another: two arenas keep the idle footprint
# small (about 35 MB less at idle, measured on the development machine).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

# The compiled service (`pnpm --filter ./inference-container build`): no TypeScript loader at run time.
exec node dist/main.js "$@"
