import { createHash, createHmac } from 'node:crypto';
import type { WindowsEnrollmentType } from './request-security-token.ts';
import { buildXml, type XmlElement } from './soap-response.ts';

/**
 * The DMClient poll schedule written at enrollment (DMClient CSP, `Provider/<id>/Poll`; minutes).
 *
 * - First set, every minute 10 times: the first sessions install the assigned profiles and a later
 *   session verifies them with `Get`; an admin watching a new PC sees it converge in minutes.
 *   Microsoft: the first set should last no more than a few hours and must not be infinite (0), which
 *   is what Fleet sends (delivery-protocols b.2).
 * - Second set, every 15 minutes 8 times: two more hours while the user finishes setting the PC up.
 * - Then every 60 minutes for good (0 = forever). Microsoft recommends more than a day when WNS push
 *   is used; Envelope must converge without WNS too (push needs a Store app identity many
 *   self-hosters lack), so an hour bounds the delay of a change, at 10,000 PCs about 3 sessions a
 *   second. The OMA-DM channel can `Replace` the interval once push works for a PC.
 * - A session at every user login (`PollOnLogin`), and at each user's first login
 *   (`AllUsersPollOnFirstLogin`): `./User/…` email accounts wait for a logged-in user.
 */
export const windowsPollSchedule = {
  IntervalForFirstSetOfRetries: 1,
  NumberOfFirstRetries: 10,
  IntervalForSecondSetOfRetries: 15,
  NumberOfSecondRetries: 8,
  IntervalForRemainingScheduledRetries: 60,
  NumberOfRemainingScheduledRetries: 0,
  PollOnLogin: true,
  AllUsersPollOnFirstLogin: true,
} as const;

/**
 * `CertificateStore/My/WSTEP/Renew`: renewal on the PC's own (ROBO), starting 42 days before the
 * one-year certificate expires, retried every 4 days (Fleet's retry interval; Microsoft's example).
 */
export const certificateRenewal = { ROBOSupport: true, RenewPeriod: 42, RetryInterval: 4 } as const;

/** The w7 APPLICATION connection settings Microsoft's example and Fleet use (w7 APPLICATION CSP). */
export const dmConnection = { CONNRETRYFREQ: 6, INITIALBACKOFFTIME: 30000, MAXBACKOFFTIME: 120000 } as const;

export interface ProvisioningDocumentInput {
  /** The tenant CA (DER): installed as a trusted root so the PC trusts what it issued. */
  caCertificateDer: Uint8Array;
  /** The PC's certificate (DER), issued from its PKCS#10. */
  clientCertificateDer: Uint8Array;
  /** Full → the user's `My` store; Device → the system's ([MS-MDE2] §2.2.9.3; Fleet `NewCertStoreProvisioningData`). */
  enrollmentType: WindowsEnrollmentType;
  /** The client certificate's CN (the PC's DeviceID): how the DM client finds its certificate. */
  certificateCommonName: string;
  /** `APPLICATION/PROVIDER-ID`, `NAME` and the DMClient `Provider` node name. */
  providerId: string;
  /** `APPLICATION/ADDR`: the OMA-DM endpoint. */
  managementUrl: string;
  /** The per-device SyncML DIGEST credential (`syncml:auth-md5`). */
  digest: { username: string; secret: string };
  /** `DMClient/Provider/<id>/EntDMID`: the enterprise device id (Envelope's managed device id). */
  entDmId: string;
}

/** Windows names certificates by SHA-1 thumbprint, upper-case hex, in the certificate store CSP. */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/**
 * The first DIGEST nonce (`APPAUTH/AAUTHDATA`, base64): derived from the secret, so the OMA-DM
 * endpoint can recompute it from the sealed secret without storing it. The endpoint sends a fresh
 * `NextNonce` in its challenges from then on.
 */
export function initialDigestNonce(secret: string): string {
  return createHmac('sha256', secret).update('Envelope initial SyncML DIGEST nonce').digest().subarray(0, 16).toString('base64');
}

/**
 * `SSLCLIENTCERTSEARCHCRITERIA` (w7 APPLICATION CSP): `Subject` and `Stores`, `&`-separated,
 * values URI-escaped per RFC 2396 (which `encodeURIComponent` follows): `CN%3D<id>` and `My%5CUser`
 * or `My%5CSystem`, the store the certificate was installed in.
 */
export function clientCertificateSearchCriteria(commonName: string, enrollmentType: WindowsEnrollmentType): string {
  return `Subject=${encodeURIComponent(`CN=${commonName}`)}&Stores=${encodeURIComponent(`My\\${certificateStoreOf(enrollmentType)}`)}`;
}

function certificateStoreOf(enrollmentType: WindowsEnrollmentType): 'User' | 'System' {
  return enrollmentType === 'Device' ? 'System' : 'User';
}

function parm(name: string, value?: string | number | boolean, datatype?: 'integer' | 'boolean' | 'string'): XmlElement {
  return {
    '@_name': name,
    ...(value === undefined ? {} : { '@_value': String(value) }),
    ...(datatype === undefined ? {} : { '@_datatype': datatype }),
  };
}

function characteristic(type: string, content: { parm?: XmlElement[]; characteristic?: XmlElement[] } = {}): XmlElement {
  return { '@_type': type, ...content };
}

/**
 * The WAP provisioning document of the RSTRC (on-premise-authentication-device-enrollment.md, last
 * example; Fleet `NewProvisioningDoc`): the tenant CA in `Root/System`, the PC's certificate with its
 * `PrivateKeyContainer` in `My/User` or `My/System` and the `WSTEP/Renew` settings, the w7
 * APPLICATION that creates the OMA-DM account (address, retry settings, XML encoding, the client
 * certificate's search criteria, the DIGEST credential as `CLIENT` and `APPSRV` — the w7 CSP asks for
 * both), and the DMClient provider with `EntDMID` and the poll schedule. Built with fast-xml-parser's
 * builder, so every value is XML-escaped. The result holds the DIGEST secret: never log it.
 */
export function buildProvisioningDocument(input: ProvisioningDocumentInput): string {
  const digestAuth = (level: 'CLIENT' | 'APPSRV') => characteristic('APPAUTH', {
    parm: [
      parm('AAUTHLEVEL', level),
      parm('AAUTHTYPE', 'DIGEST'),
      parm('AAUTHNAME', input.digest.username),
      parm('AAUTHSECRET', input.digest.secret),
      parm('AAUTHDATA', initialDigestNonce(input.digest.secret)),
    ],
  });
  const poll = windowsPollSchedule;
  return buildXml({
    'wap-provisioningdoc': {
      '@_version': '1.1',
      characteristic: [
        characteristic('CertificateStore', {
          characteristic: [
            characteristic('Root', {
              characteristic: [characteristic('System', {
                characteristic: [characteristic(certificateThumbprint(input.caCertificateDer), {
                  parm: [parm('EncodedCertificate', Buffer.from(input.caCertificateDer).toString('base64'))],
                })],
              })],
            }),
            characteristic('My', {
              characteristic: [
                characteristic(certificateStoreOf(input.enrollmentType), {
                  characteristic: [
                    characteristic(certificateThumbprint(input.clientCertificateDer), {
                      parm: [parm('EncodedCertificate', Buffer.from(input.clientCertificateDer).toString('base64'))],
                    }),
                    characteristic('PrivateKeyContainer'),
                  ],
                }),
                characteristic('WSTEP', {
                  characteristic: [characteristic('Renew', {
                    parm: [
                      parm('ROBOSupport', certificateRenewal.ROBOSupport, 'boolean'),
                      parm('RenewPeriod', certificateRenewal.RenewPeriod, 'integer'),
                      parm('RetryInterval', certificateRenewal.RetryInterval, 'integer'),
                    ],
                  })],
                }),
              ],
            }),
          ],
        }),
        characteristic('APPLICATION', {
          parm: [
            parm('APPID', 'w7'),
            parm('PROVIDER-ID', input.providerId),
            parm('NAME', input.providerId),
            parm('ADDR', input.managementUrl),
            parm('CONNRETRYFREQ', dmConnection.CONNRETRYFREQ),
            parm('INITIALBACKOFFTIME', dmConnection.INITIALBACKOFFTIME),
            parm('MAXBACKOFFTIME', dmConnection.MAXBACKOFFTIME),
            parm('BACKCOMPATRETRYDISABLED'),
            parm('DEFAULTENCODING', 'application/vnd.syncml.dm+xml'),
            parm('SSLCLIENTCERTSEARCHCRITERIA', clientCertificateSearchCriteria(input.certificateCommonName, input.enrollmentType)),
          ],
          characteristic: [digestAuth('CLIENT'), digestAuth('APPSRV')],
        }),
        characteristic('DMClient', {
          characteristic: [characteristic('Provider', {
            characteristic: [characteristic(input.providerId, {
              parm: [parm('EntDMID', input.entDmId, 'string')],
              characteristic: [characteristic('Poll', {
                parm: [
                  parm('NumberOfFirstRetries', poll.NumberOfFirstRetries, 'integer'),
                  parm('IntervalForFirstSetOfRetries', poll.IntervalForFirstSetOfRetries, 'integer'),
                  parm('NumberOfSecondRetries', poll.NumberOfSecondRetries, 'integer'),
                  parm('IntervalForSecondSetOfRetries', poll.IntervalForSecondSetOfRetries, 'integer'),
                  parm('NumberOfRemainingScheduledRetries', poll.NumberOfRemainingScheduledRetries, 'integer'),
                  parm('IntervalForRemainingScheduledRetries', poll.IntervalForRemainingScheduledRetries, 'integer'),
                  parm('PollOnLogin', poll.PollOnLogin, 'boolean'),
                  parm('AllUsersPollOnFirstLogin', poll.AllUsersPollOnFirstLogin, 'boolean'),
                ],
              })],
            })],
          })],
        }),
      ],
    },
  });
}
