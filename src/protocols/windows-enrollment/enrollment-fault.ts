/**
 * SOAP faults of the three enrollment services ([MS-MDE2] §2.2.10 "Faults"; the subcodes and the
 * client error each one becomes are listed in `windows/client-management/mobile-device-enrollment.md`,
 * "Enrollment error messages": 80180001–80180007).
 *
 * | Subcode | Client error | When Envelope sends it | HTTP |
 * |---|---|---|---|
 * | `s:messageformat` | 80180001 | not XML, not SOAP, wrong action, a required element missing or invalid, `RequestVersion` < 4.0 | 400 |
 * | `s:authentication` | 80180002 | the enrollment token is unknown, expired, revoked, for another platform, or not the user's | 401 |
 * | `s:authorization` | 80180003 | the token has enrolled all the devices it may (`DeviceCapReached`) | 403 |
 * | `s:certificaterequest` | 80180004 | the PKCS#10 is not DER, not RSA ≥ 2048, or its signature does not verify | 400 |
 * | `s:enrollmentserver` | 80180005 | the server cannot serve: ENVELOPE_PUBLIC_URL unset, the database unreachable, the CA expired | 500 / 503 |
 * | `s:internalservicefault` | 80180006 | an unexpected failure (logged with its trace id) | 500 |
 * | `a:invalidsecurity` | 80180007 | no `wsse:Security` header, no `UsernameToken`, or not a `PasswordText` password | 401 |
 *
 * The HTTP statuses follow the SOAP 1.2 HTTP binding (W3C SOAP 1.2 Part 2 §7.5.1.2: a fault the
 * sender caused is a 4xx, any other a 500) with 401/403 for credentials that fail or do not allow;
 * the body is always the fault, so a client reads the subcode whatever the status.
 */
export type EnrollmentFaultSubcode =
  | 's:messageformat'
  | 's:authentication'
  | 's:authorization'
  | 's:certificaterequest'
  | 's:enrollmentserver'
  | 's:internalservicefault'
  | 'a:invalidsecurity';

/**
 * `s:Detail/DeviceEnrollmentServiceError/ErrorType` values Envelope uses ([MS-MDE2] §2.2.10, second
 * table): 80180013 and 80180014 on the client, which tell the user what to do.
 */
export type EnrollmentServiceErrorType = 'DeviceCapReached' | 'DeviceNotSupported';

const httpStatusOf: Readonly<Record<EnrollmentFaultSubcode, number>> = {
  's:messageformat': 400,
  's:authentication': 401,
  's:authorization': 403,
  's:certificaterequest': 400,
  's:enrollmentserver': 500,
  's:internalservicefault': 500,
  'a:invalidsecurity': 401,
};

/** A refusal the enrollment services answer with a SOAP fault; `message` is the fault's reason text. */
export class EnrollmentFault extends Error {
  readonly subcode: EnrollmentFaultSubcode;
  readonly httpStatus: number;
  readonly errorType: EnrollmentServiceErrorType | undefined;
  /** Seconds after which the client may try again (sent as `Retry-After` with a 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(subcode: EnrollmentFaultSubcode, reason: string, options: { errorType?: EnrollmentServiceErrorType; httpStatus?: number; retryAfterSeconds?: number } = {}) {
    super(reason);
    this.name = 'EnrollmentFault';
    this.subcode = subcode;
    this.httpStatus = options.httpStatus ?? httpStatusOf[subcode];
    this.errorType = options.errorType;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isEnrollmentFault(value: unknown): value is EnrollmentFault {
  return value instanceof EnrollmentFault;
}

export function messageFormatFault(reason: string, errorType?: EnrollmentServiceErrorType): EnrollmentFault {
  return new EnrollmentFault('s:messageformat', reason, { errorType });
}

export function invalidSecurityFault(reason: string): EnrollmentFault {
  return new EnrollmentFault('a:invalidsecurity', reason);
}

export function authenticationFault(reason: string): EnrollmentFault {
  return new EnrollmentFault('s:authentication', reason);
}

export function authorizationFault(reason: string, errorType?: EnrollmentServiceErrorType): EnrollmentFault {
  return new EnrollmentFault('s:authorization', reason, { errorType });
}

export function certificateRequestFault(reason: string): EnrollmentFault {
  return new EnrollmentFault('s:certificaterequest', reason);
}

export function enrollmentServerFault(reason: string, options: { retryAfterSeconds?: number } = {}): EnrollmentFault {
  return new EnrollmentFault('s:enrollmentserver', reason, {
    ...(options.retryAfterSeconds === undefined ? {} : { httpStatus: 503, retryAfterSeconds: options.retryAfterSeconds }),
  });
}

export function internalServiceFault(reason: string): EnrollmentFault {
  return new EnrollmentFault('s:internalservicefault', reason);
}
