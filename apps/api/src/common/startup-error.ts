/** Anything that stops the server from starting; the message is one line meant for an operator. */
export class StartupError extends Error {
  override readonly name: string = 'StartupError';
}
