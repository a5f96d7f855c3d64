// The engine's defaults, in a module of their own so the command line can show them without loading the server.
export const DEFAULT_LISTEN_ADDRESS = '0.0.0.0:7070';
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
