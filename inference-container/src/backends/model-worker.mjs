// Runs one ONNX Runtime session on its own thread. onnxruntime-node computes on the thread that
// calls run(), so a session on the main thread would freeze the HTTP server for the whole of each
// batch: no requests read, no health checks answered, and no company gathered for the next batch.
// Plain JavaScript so that it loads the same way under tsx, vitest and a bare node.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

let session;
try {
  session = await ort.InferenceSession.create(workerData.modelPath, workerData.options);
  // With --expose-gc (the image's entrypoint): let go of what building the session left behind.
  globalThis.gc?.();
  parentPort.postMessage({ type: 'ready', inputNames: session.inputNames, outputNames: session.outputNames });
} catch (err) {
  parentPort.postMessage({ type: 'failed', message: String(err?.message ?? err) });
}

parentPort.on('message', async (msg) => {
  if (msg.type === 'release') {
    await session?.release();
    parentPort.postMessage({ type: 'released' });
    return;
  }
  try {
    const [batch, width] = msg.dims;
    const feeds = {
      input_ids: new ort.Tensor('int64', msg.ids, [batch, width]),
      attention_mask: new ort.Tensor('int64', msg.mask, [batch, width]),
    };
    const result = await session.run(feeds, msg.outputs);
    const out = {};
    for (const name of msg.outputs) {
      out[name] = Float32Array.from(result[name].data);
      result[name].dispose?.();
    }
    parentPort.postMessage(
      { type: 'result', id: msg.id, out },
      Object.values(out).map((a) => a.buffer),
    );
  } catch (err) {
    parentPort.postMessage({ type: 'error', id: msg.id, message: String(err?.message ?? err) });
  }
});
