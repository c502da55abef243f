import { describe, expect, it } from 'vitest';
import type { CallRegistry } from '../../src/call/registry';
import { createMetrics } from '../../src/http/metrics';

/** What the metrics read from the media service when scraped (src/http/metrics.ts). */
describe('metrics: media servers', () => {
  it('exports the connected media servers and the channels they kept after hang-up and kill', async () => {
    let stuck = 0;
    const calls = { all: () => [] } as unknown as CallRegistry;
    const metrics = createMetrics(calls, { healthyCount: () => 2, stuckCount: () => stuck }, () => true);
    expect(await metrics.registry.getSingleMetricAsString('wagw_media_stuck_channels')).toMatch(/^wagw_media_stuck_channels 0$/m);
    stuck = 3;
    expect(await metrics.registry.getSingleMetricAsString('wagw_media_stuck_channels')).toMatch(/^wagw_media_stuck_channels 3$/m);
    expect(await metrics.registry.getSingleMetricAsString('wagw_media_servers_up')).toMatch(/^wagw_media_servers_up 2$/m);
  });
});
