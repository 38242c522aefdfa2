/** The slice of pino the push side logs through. */
export interface WakeLog {
  debug(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const silentWakeLog: WakeLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
