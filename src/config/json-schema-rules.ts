import { IP_PATTERN } from './address-patterns';

/**
 * What load.ts checks across keys, as JSON Schema, for the generated schema of the YAML
 * (json-schema.ts). Each rule names the loader check it mirrors; the unit test
 * test/unit/config/json-schema.test.ts gives both the same mistakes. What no schema can
 * know (a variable that is unset, a PBX name that is not in pbxs, duplicates, unreadable
 * files) stays with the loader alone.
 */

export type JsonSchema = Record<string, unknown>;

/** sections whose secret must be named (load.ts: secret(..., required = true)) */
const REQUIRED_SECRETS: Record<string, string> = { drachtio: 'secret', freeswitch: 'secret', numbers: 'sip_password' };
/** credentials whose password is required exactly when a username is set (load.ts: credentials()) */
const CREDENTIALS = new Set(['pbxs.auth', 'pbxs.inbound_auth']);

const nonEmpty = (key: string): JsonSchema => ({ type: 'object', required: [key], properties: { [key]: { type: 'string', minLength: 1 } } });

function withRule(schema: JsonSchema, rule: JsonSchema): JsonSchema {
  return { ...schema, allOf: [...((schema.allOf as JsonSchema[] | undefined) ?? []), rule] };
}

/** `<what>_env` / `<what>_file`: one, not both, and, where the loader needs it, one of them */
export function secretRules(schema: JsonSchema, path: string): JsonSchema {
  const props = schema.properties as Record<string, JsonSchema>;
  const names = Object.keys(props).filter((k) => k.endsWith('_env') && props[`${k.slice(0, -4)}_file`]);
  let out = schema;
  for (const envKey of names) {
    const what = envKey.slice(0, -4);
    const env = `${what}_env`;
    const file = `${what}_file`;
    for (const k of [env, file]) {
      const { default: _unset, ...rest } = props[k]!;
      props[k] = { ...rest, minLength: 1 };
    }
    const either = [{ required: [env] }, { required: [file] }];
    out = withRule(out, { not: { required: [env, file] }, description: `set either ${env} or ${file}, not both` });
    if (REQUIRED_SECRETS[path] === what) out = { ...out, anyOf: either };
    if (CREDENTIALS.has(path)) {
      out = withRule(out, { if: nonEmpty('username'), then: { anyOf: either } });
      out = withRule(out, { if: { anyOf: either }, then: nonEmpty('username') });
    }
  }
  return out;
}

/** the checks of load.ts loadPbx() that look at two keys of one PBX */
export function pbxRules(schema: JsonSchema, path: string): JsonSchema {
  if (path !== 'pbxs') return schema;
  let out = schema;
  // a PBX named by hostname is recognised by the addresses it sends from
  out = withRule(out, {
    if: { required: ['host'], properties: { host: { type: 'string', not: { pattern: IP_PATTERN } } } },
    then: { required: ['allow_sources'], properties: { allow_sources: { type: 'array', minItems: 1 } } },
  });
  // trust_udp_source has no effect with inbound_auth
  out = withRule(out, {
    if: { required: ['trust_udp_source', 'inbound_auth'], properties: { trust_udp_source: { type: 'boolean', const: true }, inbound_auth: nonEmpty('username') } },
    then: { properties: { trust_udp_source: { type: 'boolean', const: false } } },
  });
  return out;
}
