import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const inferenceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../inference-container');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The real inference service as a child process on a free port, ready to answer. */
export async function startInference(env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; stop(): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: inferenceDir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORT_INTRA_OP_THREADS: '2', OCR_THREADS: '2', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the inference service exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      stop();
      throw new Error('the inference service did not become ready');
    }
    if (await fetch(`${url}/ready`).then((r) => r.ok, () => false)) return { url, child, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
}
