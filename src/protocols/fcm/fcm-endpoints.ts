/** Google's OAuth 2.0 token endpoint for service accounts. */
export const googleTokenUrl = 'https://oauth2.googleapis.com/token';

/** The FCM HTTP v1 API's origin. */
export const fcmOrigin = 'https://fcm.googleapis.com';

/** The OAuth scope that may send FCM messages. */
export const fcmScope = 'https://www.googleapis.com/auth/firebase.messaging';

export interface FcmEndpoints {
  tokenUrl: string;
  sendUrl(projectId: string): string;
}

/**
 * Google's endpoints when `overrideUrl` is null; with an override (a test stand-in,
 * ENVELOPE_FCM_URL) both live on that origin: tokens from `<origin>/token`, messages to
 * `<origin>/v1/projects/{project}/messages:send`. The key file's own `token_uri` is never used, so
 * an uploaded file cannot make Envelope send its signed assertion elsewhere.
 * Google: https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send
 */
export function fcmEndpoints(overrideUrl: string | null): FcmEndpoints {
  const origin = overrideUrl === null ? fcmOrigin : new URL(overrideUrl).origin;
  return {
    tokenUrl: overrideUrl === null ? googleTokenUrl : `${origin}/token`,
    sendUrl: (projectId) => `${origin}/v1/projects/${encodeURIComponent(projectId)}/messages:send`,
  };
}
