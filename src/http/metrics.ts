import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CdrRecord, CdrSink } from '../cdr/cdr';
import type { CallRegistry } from '../call/registry';
import { isRefusalCause } from '../call/refusal-causes';

/**
 * Prometheus metrics (SPEC O3). Call outcomes and set-up times are taken from the CDR
 * lines, so the metrics and the CDRs cannot disagree; active calls and media-server health
 * are read from the registry and the media service when scraped.
 */
export interface Metrics {
  readonly registry: Registry;
  /** a request refused before anything started (`status` null: dropped without an answer) */
  rejected(code: string, status: number | null): void;
  /** a CDR sink that also counts what it writes */
  observe(sink: CdrSink): CdrSink;
  /** the call permission check of an agent's call (call-permission.ts): allow, refuse or unchecked, and why */
  permissionChecked(result: string, reason: string): void;
  /** a call permission request message sent to a WhatsApp user, or failed */
  permissionRequested(result: 'sent' | 'failed'): void;
  /** Redis did not answer for a call: what it was asked (limits, nonces), and whether the call went on (src/cluster/) */
  sharedStateUnreachable(what: string, outcome: string): void;
  /** with Redis configured: whether it answers, read when scraped */
  watchSharedState(up: () => boolean): void;
  /** with rtpengine configured (DTLS calls, issue 11): whether it answers, read when scraped */
  watchRtpengine(up: () => boolean): void;
}

/** what the metrics read of the media servers when scraped */
export interface MediaHealth {
  /** connected media servers */
  healthyCount(): number;
  /** channels the media servers kept after the gateway hung them up and killed them */
  stuckCount(): number;
}

export function createMetrics(calls: CallRegistry, media: MediaHealth, drachtioUp: () => boolean): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wagw_' });
  const outcomes = new Counter({ name: 'wagw_calls_total', help: 'Finished calls by direction and final SIP status', labelNames: ['direction', 'status'], registers: [registry] });
  const setup = new Histogram({
    name: 'wagw_call_setup_seconds', help: 'INVITE to answer, answered calls', labelNames: ['direction'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40], registers: [registry],
  });
  const rejections = new Counter({ name: 'wagw_admission_rejections_total', help: 'Requests refused before a call started (INVITEs, and OPTIONS, REGISTER, ... outside a dialog), by code; status "none" when dropped without an answer', labelNames: ['code', 'status'], registers: [registry] });
  const sharedUnreachable = new Counter({
    name: 'wagw_shared_state_unreachable_total', help: 'Calls decided while Redis did not answer: what it was asked (limits, nonces) and the outcome (admitted: fail-open, refused: fail-closed or over this instance\'s own limits)',
    labelNames: ['what', 'outcome'], registers: [registry],
  });
  const permissionChecks = new Counter({ name: 'wagw_call_permission_checks_total', help: "Call permission checks of agents' calls: result allow / refuse / unchecked (the call went to Meta unchecked), with the permission, the refusal cause or why it was unchecked", labelNames: ['result', 'reason'], registers: [registry] });
  const permissionRequests = new Counter({ name: 'wagw_call_permission_requests_total', help: 'Call permission request messages sent to WhatsApp users (result sent / failed)', labelNames: ['result'], registers: [registry] });
  const agentRefusals = new Counter({ name: 'wagw_agent_call_refusals_total', help: "Agents' calls refused for a reason of Meta's rules (no call permission, call limit, ...), by who refused: the gateway before Meta, or Meta", labelNames: ['reason', 'by'], registers: [registry] });
  const authFailures = new Counter({ name: 'wagw_auth_failures_total', help: 'INVITEs with wrong credentials', registers: [registry] });
  new Gauge({
    name: 'wagw_active_calls', help: 'Calls in progress by direction and business number', labelNames: ['direction', 'business_number'], registers: [registry],
    collect() {
      this.reset();
      for (const c of calls.all()) this.inc({ direction: c.direction, business_number: c.businessNumber });
    },
  });
  new Gauge({
    name: 'wagw_media_servers_up', help: 'Connected FreeSWITCH servers', registers: [registry],
    collect() { this.set(media.healthyCount()); },
  });
  new Gauge({
    name: 'wagw_media_stuck_channels', help: 'FreeSWITCH channels still there after the gateway hung them up (BYE unanswered) and killed them, since the start: a stuck FreeSWITCH thread; drain and restart that server',
    registers: [registry], collect() { this.set(media.stuckCount()); },
  });
  new Gauge({
    name: 'wagw_drachtio_connected', help: '1 when connected to drachtio-server', registers: [registry],
    collect() { this.set(drachtioUp() ? 1 : 0); },
  });
  return {
    registry,
    rejected(code, status) {
      rejections.inc({ code, status: status === null ? 'none' : String(status) });
      if (code === 'AUTH_FAILED') authFailures.inc();
      // the country rule refuses in admission, before a call (and its CDR) exists
      if (code === 'BUSINESS_CALLING_UNAVAILABLE') agentRefusals.inc({ reason: 'business-calling-unavailable', by: 'gateway' });
    },
    watchRtpengine(up) {
      new Gauge({ name: 'wagw_rtpengine_up', help: "1 when rtpengine (DTLS-SRTP calls with Meta) answers its ng pings; 0: new DTLS calls get 503", registers: [registry], collect() { this.set(up() ? 1 : 0); } });
    },
    sharedStateUnreachable(what, outcome) {
      sharedUnreachable.inc({ what, outcome });
    },
    watchSharedState(up) {
      new Gauge({ name: 'wagw_shared_state_up', help: '1 when Redis (shared limits and nonces) answers', registers: [registry], collect() { this.set(up() ? 1 : 0); } });
    },
    observe(sink) {
      return {
        write(r: CdrRecord) {
          outcomes.inc({ direction: r.direction, status: String(r.sip_status) });
          if (r.setup_ms !== null) setup.observe({ direction: r.direction }, r.setup_ms / 1000);
          if (r.direction === 'business-initiated' && isRefusalCause(r.cause)) agentRefusals.inc({ reason: r.cause, by: r.ended_by });
          sink.write(r);
        },
        close: () => sink.close(),
      };
    },
    permissionChecked(result, reason) {
      permissionChecks.inc({ result, reason });
    },
    permissionRequested(result) {
      permissionRequests.inc({ result });
    },
  };
}
