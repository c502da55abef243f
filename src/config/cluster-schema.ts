/**
 * convict schema of what several gateway instances share (issue 13): the instance's name,
 * the secret that makes their digest nonces good at each other, Redis for the limits and the
 * used nonces, and the header that lets Homer link a call's two legs. Spread into topSchema.
 */

const secretKeys = (what: string) => ({
  [`${what}_env`]: { doc: `environment variable holding the ${what}`, format: String, default: '' },
  [`${what}_file`]: { doc: `file holding the ${what}`, format: String, default: '' },
});

export const clusterSchema = {
  cluster: {
    instance_id: {
      doc: 'this gateway process among several (letters, digits, - and _, up to 20): its Redis lease and drachtio-server tag; default: host name and process id',
      format: String,
      default: '',
    },
    ...secretKeys('secret'),
  },
  redis: {
    host: { doc: 'Redis holding the limits and used digest nonces of every gateway instance (empty: this process counts alone)', format: String, default: '' },
    port: { doc: 'Redis port', format: 'positive-int', default: 6379 },
    ...secretKeys('password'),
    key_prefix: { doc: 'prefix of every key the gateway writes', format: 'nonempty-string', default: 'wagw' },
    on_unreachable: {
      doc: 'Redis unreachable: fail-open (calls go on, each instance counting its own) or fail-closed (new calls get 503)',
      format: ['fail-open', 'fail-closed'],
      default: 'fail-open',
    },
    lease_seconds: { doc: 'the calls of an instance that stopped refreshing them (killed) stop counting after this long (3 or more)', format: 'positive-int', default: 15 },
    command_timeout_ms: { doc: 'a Redis command not answered by then counts as Redis unreachable', format: 'positive-int', default: 500 },
  },
  homer: {
    correlation_header: {
      doc: 'header carrying the other leg\'s Call-ID on the INVITE each leg gets, so Homer links the two (e.g. X-CID; empty: none)',
      format: String,
      default: '',
    },
  },
};
