import net from 'node:net';

/** Which way a held chunk was travelling: from the app to the dependency, or back. */
export type HeldDirection = 'request' | 'reply';

/**
 * A TCP relay between the app and one dependency (PostgreSQL, S3, SMTP) that a fault test
 * controls: `cut` drops every connection and refuses new ones (the port stays reserved for
 * `restore`), and `hold` freezes one connection at a chosen point of its traffic, so a test can
 * kill the app exactly there without timing guesses.
 */
export class FaultRelay {
  private server?: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private hook?: { pattern: Buffer; direction: HeldDirection; reached: () => void };

  private constructor(
    private readonly targetPort: number,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<FaultRelay> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const relay = new FaultRelay(targetPort, port);
    await relay.restore();
    return relay;
  }

  /** Open connections right now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Drops every connection at once and refuses new ones until `restore`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /**
   * Freezes the first connection whose app-side bytes contain `pattern`: with 'request' that
   * chunk never reaches the dependency; with 'reply' it does, and the dependency's answer is
   * held instead (the work was done, the app never hears of it). Resolves once held; the
   * connection stays frozen until it is cut or the relay stops.
   */
  hold(pattern: string, direction: HeldDirection): Promise<void> {
    return new Promise((resolve) => {
      this.hook = { pattern: Buffer.from(pattern), direction, reached: resolve };
    });
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    let frozen = false;
    // Set once the held request went through: the next reply bytes are held and this is called.
    let replyHeld: (() => void) | undefined;
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', close);
    }
    client.on('data', (chunk: Buffer) => {
      if (frozen) return;
      const hook = this.hook;
      if (hook && chunk.includes(hook.pattern)) {
        this.hook = undefined;
        if (hook.direction === 'request') {
          frozen = true;
          hook.reached();
          return;
        }
        replyHeld = hook.reached;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (frozen) return;
      if (replyHeld) {
        frozen = true;
        replyHeld();
        return;
      }
      client.write(chunk);
    });
  }
}
