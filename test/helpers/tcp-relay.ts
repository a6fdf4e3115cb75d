import net from 'node:net';

/** A TCP relay (to Redis, in the tests) that can be cut (every connection dropped, port closed) and restored on the same port. */
export class TcpRelay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly target: number,
    public port: number,
  ) {}

  static async start(target: number): Promise<TcpRelay> {
    const relay = new TcpRelay(target, 0);
    await relay.listen();
    return relay;
  }

  async resume(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: this.target });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }
}
