import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Every credential path we know of is redacted, so a config, a SIP header map or an error
 * object logged by mistake still never shows a password.
 */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'sip_password', '*.sip_password', '*.*.sip_password',
  'secret', '*.secret', '*.*.secret', 'token', '*.token',
  'headers.authorization', 'headers.Authorization', 'headers["proxy-authorization"]', 'headers["Proxy-Authorization"]',
  'authorization', 'proxyAuthorization',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'wa-sip-gateway' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
