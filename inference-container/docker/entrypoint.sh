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
# arena, and memory freed in one is not reused by another. Two arenas kept the idle footprint about
# 35 MB below the default; one keeps it another 6-10 MB lower with the same throughput (interleaved
# runs, 32 clients: 25.4 texts/s either way), since ONNX Runtime's own arena serves the tensors.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"

# V8's young generation grows to 16 MB per semi-space under load and keeps that; at 1 MB the
# small per-request objects cost a few more scavenges (the tensors live outside the JavaScript
# heap). --expose-gc lets the service collect once when start-up is done, after the detectors and
# word lists have left their parse garbage. Together, measured with `pnpm bench` on the 2-core
# development machine: idle 316-320 -> 249-256 MB, peak with 32 clients about 55 MB lower,
# throughput about 2.5% lower. NODE_FLAGS set in the environment replaces them.
NODE_FLAGS="${NODE_FLAGS---max-semi-space-size=1 --expose-gc}"

# The compiled service (`pnpm --filter ./inference-container build`): no TypeScript loader at run time.
exec node $NODE_FLAGS dist/main.js "$@"
