// Wire types and error codes shared by the server and its clients (filled in by issue 14).
export {};
