/**
 * The ICE-lite half of Meta's media edge (RFC 8445 §2.5, calling-faqs.md): it never sends
 * a check, it answers Binding requests that carry our short-term credentials, and the
 * address a check with USE-CANDIDATE came from becomes the selected pair's remote end.
 *
 * Every check is recorded (role attributes, USE-CANDIDATE, time) for the tests to assert
 * on: the business side must be ICE-CONTROLLING and nominate.
 */
import {
  Attr,
  StunType,
  attribute,
  checkFingerprint,
  decodeStun,
  encodeStun,
  errorCodeValue,
  verifyIntegrity,
  xorAddress,
} from './stun';

export interface IceCheck {
  /** Date.now() on arrival */
  at: number;
  from: { address: string; port: number };
  username: string;
  controlling: boolean;
  controlled: boolean;
  useCandidate: boolean;
  priority: number | null;
}

export interface RejectedCheck {
  at: number;
  from: { address: string; port: number };
  status: 400 | 401;
  why: string;
}

type Send = (msg: Buffer, host: string, port: number) => void;

export class IceLiteResponder {
  readonly checks: IceCheck[] = [];
  readonly rejected: RejectedCheck[] = [];
  /** Date.now() of the first valid check */
  firstCheckAt: number | null = null;
  /** the remote end of the nominated pair (latest USE-CANDIDATE) */
  nominated: { address: string; port: number } | null = null;
  /** called when a check nominates a (new) remote address */
  onNominated: ((to: { address: string; port: number }) => void) | null = null;
  private readonly validated = new Set<string>();

  /** checks from sources `acceptFrom` refused, not answered */
  ignored = 0;

  constructor(
    readonly ufrag: string,
    readonly pwd: string,
    private readonly send: Send,
    private readonly acceptFrom: (address: string) => boolean = () => true,
  ) {}

  /** true when `from` has passed a valid check (DTLS and media are accepted only from there) */
  isValidated(from: { address: string; port: number }): boolean {
    return this.validated.has(`${from.address}|${from.port}`);
  }

  /** handles one STUN datagram; anything but a Binding request is ignored */
  handle(raw: Buffer, from: { address: string; port: number }): void {
    const m = decodeStun(raw);
    if (!m || m.type !== StunType.BindingRequest) return; // indications, responses: a lite agent sends no requests
    if (!this.acceptFrom(from.address)) {
      this.ignored++;
      return;
    }
    const reject = (status: 400 | 401, why: string, reason: string) => {
      this.rejected.push({ at: Date.now(), from: { ...from }, status, why });
      this.send(encodeStun(StunType.BindingError, m.transactionId, [[Attr.ErrorCode, errorCodeValue(status, reason)]]), from.address, from.port);
    };
    const username = attribute(m, Attr.Username)?.toString('utf8');
    const hasIntegrity = m.attributes.some((a) => a.type === Attr.MessageIntegrity);
    if (username === undefined || !hasIntegrity) return reject(400, 'no USERNAME or MESSAGE-INTEGRITY', 'Bad Request');
    if (checkFingerprint(m) === 'bad') return reject(400, 'bad FINGERPRINT', 'Bad Request');
    if (username.split(':')[0] !== this.ufrag) return reject(401, `USERNAME ${username} is not for ufrag ${this.ufrag}`, 'Unauthorized');
    if (!verifyIntegrity(m, this.pwd)) return reject(401, 'MESSAGE-INTEGRITY does not verify with our ice-pwd', 'Unauthorized');

    const priority = attribute(m, Attr.Priority);
    const check: IceCheck = {
      at: Date.now(),
      from: { address: from.address, port: from.port },
      username,
      controlling: attribute(m, Attr.IceControlling) !== undefined,
      controlled: attribute(m, Attr.IceControlled) !== undefined,
      useCandidate: attribute(m, Attr.UseCandidate) !== undefined,
      priority: priority?.length === 4 ? priority.readUInt32BE(0) : null,
    };
    this.checks.push(check);
    this.firstCheckAt ??= check.at;
    this.validated.add(`${from.address}|${from.port}`);
    const response = encodeStun(StunType.BindingSuccess, m.transactionId, [[Attr.XorMappedAddress, xorAddress(from.address, from.port, m.transactionId)]], this.pwd);
    this.send(response, from.address, from.port);
    if (check.useCandidate && (this.nominated?.address !== from.address || this.nominated.port !== from.port)) {
      this.nominated = { ...check.from };
      this.onNominated?.(this.nominated);
    }
  }
}
