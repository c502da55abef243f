import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * FreeSWITCH expands an unset `$${name}` to nothing and starts anyway, so a setting whose
 * variable is missing from docker/freeswitch/vars.xml would pass silently (an empty
 * `auto-jitterbuffer-msec` is no jitter buffer). Each one the config uses must be set there.
 */
const dir = resolve(__dirname, '../../docker/freeswitch');
/** set by FreeSWITCH itself at start */
const BUILTIN = new Set(['local_ip_v4', 'local_ip_v6']);

function used(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.xml'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\$\$\{([a-z0-9_]+)\}/g)) out.set(m[1]!, f);
  }
  return out;
}

function set(): Set<string> {
  const xml = readFileSync(join(dir, 'vars.xml'), 'utf8');
  return new Set([...xml.matchAll(/cmd="set" data="([a-z0-9_]+)=/g)].map((m) => m[1]!));
}

describe('docker/freeswitch variables', () => {
  it('sets in vars.xml every $${variable} the FreeSWITCH config uses', () => {
    const defined = set();
    const uses = used();
    const missing = [...uses].filter(([name]) => !defined.has(name) && !BUILTIN.has(name)).map(([name, file]) => `${name} (${file})`);
    expect(uses.size).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('turns the jitter buffer on for every leg by default (60 ms)', () => {
    const profile = readFileSync(join(dir, 'media-profile.xml'), 'utf8');
    expect(profile).toContain('<param name="auto-jitterbuffer-msec" value="$${media_jitterbuffer_msec}"/>');
    expect(readFileSync(join(dir, 'vars.xml'), 'utf8')).toContain('data="media_jitterbuffer_msec=60"');
  });
});
