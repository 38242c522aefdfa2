import { createHash } from 'node:crypto';
import { isSyncMlMd5Digest, syncMlAuthMd5, type DeviceSyncHdr } from '../../protocols/omadm/index.ts';
import type { WindowsMdmEnrollment, WindowsMdmStore } from '../../store/postgres/windows-mdm-store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { digestSecretContext, initialDigestNonce } from './windows-mdm-constants.ts';

/**
 * How a message was authenticated, or the challenge to answer it with. A challenge is the SyncML
 * answer to missing (407) or wrong (401) credentials: the SyncHdr status carries `Chal` with a new
 * nonce, which the PC must use for its next credential.
 */
export type WindowsAuthResult =
  | { kind: 'authenticated'; enrollment: WindowsMdmEnrollment; method: 'certificate' | 'digest' }
  | { kind: 'challenge'; status: 401 | 407; nonce: Buffer; reason: string };

export interface WindowsAuthOptions {
  /** How long a nonce issued in a challenge may be used for a first message. */
  nonceTtlMs: number;
}

/**
 * Authenticates each OMA-DM message ([MS-MDM]; OMA-TS-DM_Security §5):
 * - when TLS ends at Envelope and the PC presents a client certificate, its SHA-256 must be the
 *   enrollment's (`windows_enrollments.certificate_sha256`), the enrollment enabled and its
 *   certificate not expired, and `SyncHdr/Source` must be that enrollment's DeviceID. TLS proved
 *   possession of the key; the certificate need not chain anywhere else;
 * - otherwise SyncML DIGEST (MD5) under the enrollment's `digest_username` and sealed secret, with a
 *   nonce Envelope issued (PostgreSQL, shared by every process) — or, for the PC's first session
 *   only, the nonce the enrollment provisioned (derived from the secret). A nonce is bound to the
 *   first session that uses it and refused for any other: within its session the PC sends the same
 *   credential in every message (header status 200), and a captured credential cannot open another
 *   session.
 * An unknown or unenrolled PC gets the same challenge as a known one, with a nonce that is never
 * stored: nothing is written for it, and the answer does not tell whether the DeviceID exists.
 */
export class WindowsMdmAuthenticator {
  readonly #store: WindowsMdmStore;
  readonly #box: SecretBox;
  readonly #randomBytes: (size: number) => Buffer;
  readonly #options: WindowsAuthOptions;

  constructor(deps: { store: WindowsMdmStore; box: SecretBox; randomBytes: (size: number) => Buffer; options: WindowsAuthOptions }) {
    this.#store = deps.store;
    this.#box = deps.box;
    this.#randomBytes = deps.randomBytes;
    this.#options = deps.options;
  }

  async authenticate(header: DeviceSyncHdr, clientCertificateDer: Uint8Array | null, now: number): Promise<WindowsAuthResult> {
    if (clientCertificateDer !== null) {
      const enrollment = await this.#store.enrollmentByCertificate(createHash('sha256').update(clientCertificateDer).digest());
      if (enrollment !== null && enrollment.enabled && enrollment.windowsDeviceId === header.Source && enrollment.certificateNotAfter > now) {
        return { kind: 'authenticated', enrollment, method: 'certificate' };
      }
    }
    const candidates = (await this.#store.enrollmentsForDigest(header.Source, header.SourceLocName ?? header.Source))
      .filter((e) => e.enabled && e.windowsDeviceId === header.Source && (header.SourceLocName === null || e.digestUsername === header.SourceLocName));
    const cred = header.Cred;
    if (candidates.length === 0) return this.#challenge([], cred === null ? 407 : 401, 'no enrolled PC has this DeviceID', now);
    if (cred === null) return this.#challenge(candidates, 407, 'the message carries no credentials', now);
    if (cred.Type?.toLowerCase() !== syncMlAuthMd5 || (cred.Format !== null && cred.Format.toLowerCase() !== 'b64')) {
      return this.#challenge(candidates, 401, `credentials of type '${cred.Type ?? ''}' are not accepted; send ${syncMlAuthMd5}`, now);
    }
    for (const enrollment of candidates) {
      const secret = this.#openSecret(enrollment);
      if (secret === null) continue;
      const nonces = await this.#store.liveNonces(enrollment.tenantId, enrollment.deviceId, now);
      const initial = initialDigestNonce(secret);
      // The provisioned nonce opens the first session; from its start (last_seen_at) only issued ones count.
      if (enrollment.lastSeenAt === null && !nonces.some((n) => n.nonce.equals(initial))) nonces.push({ nonce: initial, sessionId: null });
      for (const nonce of nonces) {
        if (nonce.sessionId !== null && nonce.sessionId !== header.SessionID) continue;
        if (!isSyncMlMd5Digest(cred.Data, enrollment.digestUsername, secret, nonce.nonce)) continue;
        if (nonce.nonce.equals(initial)) await this.#store.issueNonce(enrollment.tenantId, enrollment.deviceId, initial, now + this.#options.nonceTtlMs, now);
        if (await this.#store.bindNonce(enrollment.tenantId, enrollment.deviceId, nonce.nonce, header.SessionID, now)) {
          return { kind: 'authenticated', enrollment, method: 'digest' };
        }
      }
    }
    return this.#challenge(candidates, 401, 'the credentials do not match a live nonce of this session', now);
  }

  /** The enrollment's DIGEST secret; null (and never a throw) when the sealed value does not open here. */
  #openSecret(enrollment: WindowsMdmEnrollment): string | null {
    try {
      return this.#box.open(enrollment.sealedDigestSecret, digestSecretContext(enrollment.tenantId, enrollment.deviceId)).toString('utf8');
    } catch {
      return null;
    }
  }

  /** A challenge with a new nonce, stored for each candidate enrollment (none: a throwaway). */
  async #challenge(candidates: readonly WindowsMdmEnrollment[], status: 401 | 407, reason: string, now: number): Promise<WindowsAuthResult> {
    const nonce = this.#randomBytes(16);
    for (const enrollment of candidates) {
      await this.#store.issueNonce(enrollment.tenantId, enrollment.deviceId, nonce, now + this.#options.nonceTtlMs, now);
    }
    return { kind: 'challenge', status, nonce, reason };
  }
}
