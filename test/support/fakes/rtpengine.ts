import type { NgControl, NgDict } from '../../../src/media/rtpengine/ng-client';
import { NgError } from '../../../src/media/rtpengine/ng-client';

/**
 * A typed fake of rtpengine's ng control (src/media/rtpengine/ng-client.ts): it records every
 * command, keeps the calls it was offered until they are deleted, and answers offer/answer
 * with an SDP that names the command and the call, so a test can see which SDP went where.
 * `down` makes every command fail as a timeout would.
 */
export class FakeNg implements NgControl {
  readonly requests: { command: string; args: NgDict }[] = [];
  readonly calls = new Set<string>();
  down = false;
  /** make the next command of this name fail with rtpengine's error reply */
  failNext: string | null = null;

  async request(command: string, args: NgDict = {}): Promise<NgDict> {
    this.requests.push({ command, args });
    if (this.down) throw new NgError(`rtpengine ${command}: no reply within 1000 ms`);
    if (this.failNext === command) {
      this.failNext = null;
      throw new NgError(`rtpengine ${command}: Unknown call-id`);
    }
    const callId = String(args['call-id'] ?? '');
    switch (command) {
      case 'ping':
        return { result: 'pong' };
      case 'offer':
        this.calls.add(callId);
        return { result: 'ok', sdp: FakeNg.sdp('offer', callId, String(args['transport-protocol'])) };
      case 'answer':
        if (!this.calls.has(callId)) throw new NgError('rtpengine answer: Unknown call-id');
        return { result: 'ok', sdp: FakeNg.sdp('answer', callId, String(args['transport-protocol'] ?? 'UDP/TLS/RTP/SAVPF')) };
      case 'delete':
        if (!this.calls.delete(callId)) throw new NgError('rtpengine delete: Call-ID not found');
        return { result: 'ok' };
      default:
        return { result: 'ok' };
    }
  }

  /** what the fake answers: a real-looking SDP with the transport asked for, marked with command and call */
  static sdp(command: string, callId: string, transport: string): string {
    const dtls = transport.startsWith('UDP/TLS');
    return [
      'v=0', `o=- 7 1 IN IP4 127.0.0.1`, `s=fake-rtpengine ${command} ${callId}`, 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio 42000 ${transport} 111 0 126`,
      'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:126 telephone-event/8000',
      ...(dtls ? ['a=setup:active', 'a=fingerprint:sha-256 AB:CD', 'a=ice-ufrag:u', 'a=ice-pwd:p', 'a=rtcp-mux'] : []),
      'a=sendrecv', '',
    ].join('\r\n');
  }

  of(command: string): NgDict[] {
    return this.requests.filter((r) => r.command === command).map((r) => r.args);
  }

  close(): void { /* nothing open */ }
}
