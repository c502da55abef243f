import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The Grafana dashboard only queries metrics the gateway exports (names from src/http/metrics.ts). */
describe('docker/grafana/wa-sip-gateway.json', () => {
  const root = resolve(__dirname, '../..');
  const dash = JSON.parse(readFileSync(join(root, 'docker/grafana/wa-sip-gateway.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  const source = readFileSync(join(root, 'src/http/metrics.ts'), 'utf8');

  it('uses only metric names the gateway defines', () => {
    const used = new Set(dash.panels.flatMap((p) => p.targets.map((t) => t.expr)).flatMap((e) => e.match(/wagw_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      const defined = source.includes(`'${base}'`) || (base.startsWith('wagw_nodejs_') && source.includes('collectDefaultMetrics'));
      expect(defined, `${name} is not defined in src/http/metrics.ts`).toBe(true);
    }
  });
});
