import net from 'node:net';

/** A reply as Redis sends it; errors stay values so a pipeline can report them per command. */
export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError {
  constructor(readonly message: string) {}
}

type Pending = { resolve: (v: RespValue) => void; reject: (e: Error) => void };

function encodeCommand(args: Array<string | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Minimal RESP2 client over one socket. Replies arrive in the order commands were written, so
 * concurrent callers share the connection safely, and a MULTI..EXEC written in one chunk cannot
 * interleave with anything else.
 */
export class RespClient {
  private socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Pending[] = [];
  private closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = (err: Error) => {
      this.closed = true;
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('redis connection closed')));
  }

  /** Connects, and authenticates first when the server has a password (requirepass). */
  static async connect(port: number, host = '127.0.0.1', password?: string): Promise<RespClient> {
    const client = await new Promise<RespClient>((resolve, reject) => {
      const socket = net.createConnection({ port, host, noDelay: true }, () => {
        socket.off('error', reject);
        resolve(new RespClient(socket));
      });
      socket.once('error', reject);
    });
    if (password) {
      const [reply] = await client.send([['AUTH', password]]);
      if (reply instanceof RespError) {
        client.socket.destroy();
        throw new Error(`redis refused the password: ${reply.message}`);
      }
    }
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends several commands in one write; resolves with one reply per command. */
  send(commands: Array<Array<string | number>>): Promise<RespValue[]> {
    if (this.closed) return Promise.reject(new Error('redis connection closed'));
    const replies = commands.map(() => new Promise<RespValue>((resolve, reject) => this.pending.push({ resolve, reject })));
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    return Promise.all(replies);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const parsed = parseReply(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.next);
      this.pending.shift()?.resolve(parsed.value);
    }
  }
}

function parseReply(buf: Buffer, at: number): { value: RespValue; next: number } | null {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return null;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}
