import { Type } from 'typebox';
import { navigationProperties } from '../../domain/profiles/index.ts';
import type { TenantConfigurationService } from '../../services/gitops/tenant-configuration.ts';
import type { GraphScope } from './graph-scope.ts';
import { withErrors } from './common-schemas.ts';

const AssignmentEntry = Type.Union([
  Type.Object({ group: Type.String(), intent: Type.Optional(Type.Union([Type.Literal('apply'), Type.Literal('remove')])) }, { additionalProperties: false }),
  Type.Object({ excludeGroup: Type.String() }, { additionalProperties: false }),
  Type.Object({ allUsers: Type.Literal(true), intent: Type.Optional(Type.Union([Type.Literal('apply'), Type.Literal('remove')])) }, { additionalProperties: false }),
  Type.Object({ allDevices: Type.Literal(true), intent: Type.Optional(Type.Union([Type.Literal('apply'), Type.Literal('remove')])) }, { additionalProperties: false }),
]);

const ProfileFile = Type.Object(
  {
    profile: Type.Record(Type.String(), Type.Unknown(), { description: "The profile's Graph JSON without id, version and times." }),
    certificates: Type.Optional(Type.Partial(Type.Object(Object.fromEntries(navigationProperties.map((nav) => [nav, Type.String({ description: 'The linked profile, by display name.' })]))))),
    assignments: Type.Optional(Type.Array(AssignmentEntry)),
  },
  { additionalProperties: false },
);

const Plan = Type.Object({
  upToDate: Type.Boolean(),
  changes: Type.Array(
    Type.Object({
      action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('assign'), Type.Literal('delete')]),
      displayName: Type.String(),
      odataType: Type.String(),
      details: Type.Array(Type.String()),
      devicesNow: Type.Union([Type.Integer(), Type.Null()], { description: 'Devices the email profile reaches before the change; null for a new profile and for certificate profiles.' }),
    }),
  ),
});

/**
 * Envelope extension: the tenant's profiles as files (`envelope export`) and making the tenant
 * match a set of files (`envelope apply`), with the plan first. Reading and planning are open to
 * readOnly tokens; applying needs admin and is audited like any write.
 */
export function registerTenantConfigurationRoutes(scope: GraphScope, configuration: TenantConfigurationService): void {
  const base = '/deviceManagement/envelope/configuration';

  scope.get(base, {
    schema: { tags: ['configuration'], summary: "The tenant's profiles, certificate links and assignments as files", response: withErrors({ 200: Type.Object({ profiles: Type.Array(ProfileFile) }) }) },
  }, async (request) => ({ profiles: await configuration.export(request.principal.tenantId) }));

  const body = Type.Object({ profiles: Type.Unknown({ description: 'The profile files (validated by the service, naming file and field).' }) }, { additionalProperties: false });
  const answer = withErrors({ 200: Type.Object({ plan: Plan, applied: Type.Boolean() }) });

  scope.post(`${base}/plan`, {
    // Changes nothing: open to readOnly tokens, and not an audited write.
    config: { readOnlyAction: true },
    schema: { tags: ['configuration'], summary: 'The changes that would make the tenant match the files', body, response: answer },
  }, async (request) => configuration.apply(request.principal.tenantId, request.body.profiles, { dryRun: true }));

  scope.post(`${base}/apply`, {
    schema: { tags: ['configuration'], summary: 'Make the tenant match the files (plan first, then carry it out)', body, response: answer },
  }, async (request) => configuration.apply(request.principal.tenantId, request.body.profiles, { dryRun: false }));
}
