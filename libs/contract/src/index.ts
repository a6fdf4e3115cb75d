// Wire types, error codes and the route table shared by the server and its clients (docs/API.md).
export * from './errors';
export * from './routes';
export * from './sizes';
export type * from './accounts';
export type * from './files';
export * from './multipart';
export type * from './keys';
export type * from './downloads';
export type * from './health';
export * from './web-session';
