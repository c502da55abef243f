import convict from 'convict';
import { freeswitchSchema, numberSchema, pbxSchema, prefixRuleSchema, routeRuleSchema, topSchema } from './schema';
import { CIDR_PATTERN } from './address-patterns';
import { pbxRules, secretRules, type JsonSchema } from './json-schema-rules';

/**
 * The JSON Schema (draft-07) of a gateway YAML file, generated from the convict schemas in
 * schema.ts so that the two cannot drift: every convict format maps to a JSON Schema
 * fragment here, an unknown format or a list without an item schema throws, and a key whose
 * convict default does not pass its own format is required. What the loader checks across
 * keys is added from json-schema-rules.ts. Editors (yaml-language-server) read the result,
 * config/gateway.schema.json, written by `wa-sip-gateway schema --out FILE` (`npm run schema`);
 * a unit test keeps the committed file equal to this output.
 */

/** the item schema of each list of mappings, by its path without indices */
const LIST_ITEMS: Record<string, object> = {
  freeswitch: freeswitchSchema,
  numbers: numberSchema,
  'numbers.routes': routeRuleSchema,
  pbxs: pbxSchema,
  'pbxs.business_numbers_by_prefix': prefixRuleSchema,
};

/** what each convict format means as JSON Schema; a format missing here makes generation throw */
const FORMATS: Record<string, JsonSchema> = {
  'nonempty-string': { type: 'string', pattern: '\\S' },
  e164: { type: 'string', pattern: '^\\+[1-9]\\d{6,14}$' },
  'positive-int': { type: 'integer', minimum: 1 },
  'whole-number': { type: 'integer', minimum: 0 },
  'port-number': { type: 'integer', minimum: 0, maximum: 65535 },
  'challenge-status': { enum: [401, 407] },
  'dynamic-payload-type': { type: 'integer', minimum: 96, maximum: 127 },
  'strict-boolean': { type: 'boolean' },
  'cidr-list': { type: 'array', items: { type: 'string', pattern: CIDR_PATTERN } },
  'string-list': { type: 'array', items: { type: 'string', minLength: 1 } },
  'digit-string-list': { type: 'array', items: { type: 'string', pattern: '^\\d+$' } },
  'dialed-prefix': { type: 'string', pattern: '^\\+\\d+$' },
};

/** convict's built-in formats that coerce a string from YAML, and ours that do not */
const COERCING: Record<string, [string, string]> = {
  nat: ['whole-number', '"5" is taken as 5'],
  int: ['whole-number', '"5" is taken as 5'],
  integer: ['whole-number', '"5" is taken as 5'],
  port: ['port-number', '"5060" is taken as 5060'],
  Boolean: ['strict-boolean', '"no" is taken as true'],
  Number: ['whole-number', '"5" is taken as 5'],
  Array: ['string-list', '"a,b" is taken as [a, b]'],
};

interface Leaf { doc?: string; format: unknown; default: unknown }

const isLeaf = (node: unknown): node is Leaf => typeof node === 'object' && node !== null && 'default' in node;

function formatSchema(format: unknown, path: string): JsonSchema {
  if (format === String) return { type: 'string' };
  if (Array.isArray(format)) {
    // convict turns a quoted "407" into 407 for an enum of numbers
    if ((format as unknown[]).some((v) => typeof v !== 'string')) throw new Error(`json-schema: ${path}: an enum of numbers takes a quoted string: use a format of its own`);
    return { enum: [...(format as unknown[])] };
  }
  if (typeof format === 'string' && format === 'object-list') {
    const items = LIST_ITEMS[path];
    if (!items) throw new Error(`json-schema: ${path} is a list of mappings without an item schema in LIST_ITEMS`);
    return { type: 'array', items: objectSchema(items, path) };
  }
  if (typeof format === 'string' && FORMATS[format]) return { ...FORMATS[format] };
  const name = typeof format === 'function' ? format.name : String(format);
  const instead = COERCING[name];
  if (instead) throw new Error(`json-schema: ${path}: convict's ${name} takes a quoted string (${instead[1]}), which the schema would refuse: use '${instead[0]}'`);
  throw new Error(`json-schema: ${path}: convict format ${name} has no JSON Schema mapping in FORMATS`);
}

/** whether convict itself refuses the default: then the key must be given */
function defaultIsInvalid(leaf: Leaf): boolean {
  try {
    convict({ k: leaf } as convict.Schema<unknown>).validate({ allowed: 'strict' });
    return false;
  } catch {
    return true;
  }
}

function leafSchema(leaf: Leaf, path: string): JsonSchema {
  const out: JsonSchema = { ...(leaf.doc ? { description: leaf.doc } : {}), ...formatSchema(leaf.format, path) };
  if (!defaultIsInvalid(leaf)) out.default = leaf.default;
  return out;
}

/** a section with a required key, or a secret it must name, has to be there */
function mustBeGiven(sub: JsonSchema): boolean {
  return (Array.isArray(sub.required) && sub.required.length > 0) || Array.isArray(sub.anyOf);
}

function objectSchema(node: object, path: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, child] of Object.entries(node)) {
    const at = path ? `${path}.${key}` : key;
    if (isLeaf(child)) {
      properties[key] = leafSchema(child, at);
      if (defaultIsInvalid(child)) required.push(key);
    } else {
      const sub = objectSchema(child as object, at);
      properties[key] = sub;
      if (mustBeGiven(sub)) required.push(key);
    }
  }
  const out: JsonSchema = { type: 'object', additionalProperties: false, properties };
  if (required.length) out.required = required;
  return secretRules(pbxRules(out, path), path);
}

/** the whole schema, ready to be written as JSON */
export function gatewayJsonSchema(): JsonSchema {
  const top = objectSchema(topSchema, '');
  const props = top.properties as Record<string, JsonSchema>;
  // the loader needs at least one media server
  props.freeswitch = { ...props.freeswitch, minItems: 1 };
  top.required = [...new Set([...((top.required as string[] | undefined) ?? []), 'freeswitch'])];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'wa-sip-gateway configuration (gateway.yaml)',
    description: 'Generated from src/config/schema.ts by `npm run schema`; do not edit. '
      + 'The gateway also checks what a schema cannot: that secrets are set, names refer to listed PBXs and numbers, files are readable.',
    ...top,
  };
}

/** the schema as the committed file holds it */
export function gatewayJsonSchemaText(): string {
  return `${JSON.stringify(gatewayJsonSchema(), null, 2)}\n`;
}
