import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { withErrors } from './common-schemas.ts';

const CurrentToken = Type.Object(
  {
    id: Type.String({ description: 'The token id (as `envelope token list` shows it), never its value.' }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('readOnly'), Type.Literal('scim')], { description: 'scim tokens are refused on Graph paths, so a Graph client sees admin or readOnly.' }),
  },
  { additionalProperties: false },
);

/**
 * Envelope extension `/envelope/currentToken`: the id and role of the token that makes the request,
 * so a client (the admin console) can check a token and show readOnly users no write controls.
 */
export function registerCurrentTokenRoutes(scope: GraphScope): void {
  scope.get('/envelope/currentToken', {
    schema: { tags: ['system'], summary: 'The calling token: id and role', response: withErrors({ 200: CurrentToken }) },
  }, async (request) => ({ id: request.principal.tokenId, role: request.principal.role }));
}
