import type { RtpengineConfig } from '../../config/types';
import { parseNgAddress } from '../../config/ng-address';
import type { Logger } from '../../util/logger';
import { NgClient } from './ng-client';
import { Rtpengine, type RtpengineState } from './rtpengine';

/** rtpengine from its config section; null when no address is configured */
export function createRtpengine(conf: RtpengineConfig, log: Logger): Rtpengine | null {
  const at = conf.address ? parseNgAddress(conf.address) : null;
  if (!at) return null;
  return new Rtpengine(new NgClient(at.host, at.port, conf.timeout_ms), log.child({ rtpengine: conf.address }), conf.ping_interval_ms);
}

export function rtpengineState(r: Rtpengine | null): RtpengineState {
  if (!r) return 'off';
  return r.up ? 'up' : 'down';
}
