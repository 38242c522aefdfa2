import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Value from 'typebox/value';
import type { TSchema } from 'typebox';
import {
  fieldsOf, initialValues, isShown, profileBody, profileFields, shownFields, stepOfTarget, wizardPlatforms, wizardTypes,
  type FieldValues, type WizardType,
} from '../../console/src/profile-fields.ts';
import { profileModelOf } from '../../src/domain/profiles/profile-schemas.ts';
import { allowedLinkTargetTypes } from '../../src/domain/profiles/profile-links.ts';
import { navigationPropertiesOf, platformFamilyOf, type NavigationProperty } from '../../src/domain/profiles/profile-types.ts';
import { bindKeyOf } from '../../src/domain/profiles/odata-bind.ts';
import { parseProfileCreate } from '../../src/domain/profiles/parse-profile.ts';
import { EnvelopeError } from '../../src/domain/errors.ts';

/**
 * The wizard's field table (console/src/profile-fields.ts) against the server's own schemas: what
 * the wizard offers for a type is what the API accepts for that `@odata.type`, and nothing the API
 * requires is missing.
 */
const schemaOf = (type: WizardType) => profileModelOf(type).schema as unknown as { properties: Record<string, TSchema>; required?: string[] };
const navOf = (key: string) => key.replace(/@odata\.bind$/, '') as NavigationProperty;
const validBasics = { displayName: 'Contoso mail', description: '' };
const filled = (type: WizardType, extra: FieldValues = {}): FieldValues => ({
  ...initialValues(type),
  hostName: 'mail.contoso.com',
  ...(fieldsOf(type).some((f) => f.key === 'accountName') ? { accountName: 'Contoso' } : {}),
  ...extra,
});

describe('the Create profile wizard field table', () => {
  it('offers one platform per wizard type', () => {
    assert.deepEqual(wizardPlatforms.map((p) => p.type), [...wizardTypes]);
  });

  for (const type of wizardTypes) {
    describe(type, () => {
      const schema = schemaOf(type);
      const fields = fieldsOf(type);

      it('every field is a property the server schema accepts (settings) or a link the type has', () => {
        for (const field of fields) {
          assert.ok(Object.hasOwn(schema.properties, field.key), `${field.key} is a property of ${type}`);
          if (field.kind === 'certificate') assert.ok(navigationPropertiesOf(type).includes(navOf(field.key)), `${field.key} is a link of ${type}`);
          else assert.ok(profileModelOf(type).settingKeys.includes(field.key), `${field.key} is a setting of ${type}`);
        }
      });

      it('every value a field can hold is one the schema accepts for that property', () => {
        for (const field of fields) {
          const property = schema.properties[field.key]!;
          if (field.kind === 'toggle') {
            for (const value of [true, false]) assert.ok(Value.Check(property, value), `${field.key} accepts ${value}`);
          }
          if (field.kind === 'choice') {
            for (const option of field.options ?? []) {
              const value = option.value === '' ? null : option.value;
              assert.ok(Value.Check(property, value), `${field.key} accepts ${JSON.stringify(value)}`);
            }
          }
          if (field.kind === 'flags') {
            for (const option of field.options ?? []) assert.ok(Value.Check(property, option.value), `${field.key} accepts ${option.value}`);
            assert.ok(Value.Check(property, null), `${field.key} accepts null (none ticked)`);
          }
          if (field.kind === 'text' && !field.required) assert.ok(Value.Check(property, null), `${field.key}: an empty optional text is sent as null`);
        }
      });

      it('every property the server requires on create is offered and marked required, and only those', () => {
        const required = ['displayName', ...profileModelOf(type).requiredOnCreate];
        for (const key of profileModelOf(type).requiredOnCreate) {
          const field = fields.find((f) => f.key === key);
          assert.ok(field, `${type} requires ${key}: the wizard offers it`);
          assert.equal(field.required, true, `${key} is marked required`);
          assert.equal(field.when, undefined, `${key} is always shown`);
        }
        for (const field of fields.filter((f) => f.required)) assert.ok(required.includes(field.key), `${field.key} is required by the server`);
        // displayName is the basics step's; every other required schema property is a setting above.
        for (const key of schema.required ?? []) assert.ok(key === '@odata.type' || required.includes(key), key);
      });

      it('certificate pickers list exactly the profile types the server lets the link point at', () => {
        for (const field of fields.filter((f) => f.kind === 'certificate')) {
          assert.deepEqual([...(field.certificateTypes?.[type] ?? [])].sort(), allowedLinkTargetTypes(navOf(field.key), platformFamilyOf(type)).sort(), field.key);
        }
      });

      it('conditions refer to fields offered for the type', () => {
        for (const field of fields) {
          for (const condition of field.when ?? []) {
            assert.ok(profileFields.some((f) => f.key === condition.key && field.types.some((t) => f.types.includes(t))), `${field.key} depends on ${condition.key}`);
          }
        }
      });

      it('the body built from the defaults is one the server accepts', () => {
        const draft = parseProfileCreate(profileBody(type, validBasics, filled(type)));
        assert.equal(draft.odataType, type);
        assert.equal(draft.settings.hostName, 'mail.contoso.com');
      });
    });
  }

  it('SPEC §3: the settings that apply to each platform', () => {
    const keys = (type: WizardType) => fieldsOf(type).map((f) => f.key);
    // Account name: all but Android Enterprise.
    assert.ok(keys('iosEasEmailProfileConfiguration').includes('accountName'));
    assert.ok(!keys('androidWorkProfileGmailEasConfiguration').includes('accountName'));
    // Authentication method: iOS, Knox, Android Enterprise; not Windows.
    assert.ok(!keys('windows10EasEmailProfileConfiguration').includes('authenticationMethod'));
    assert.ok(keys('androidEasEmailProfileConfiguration').includes('authenticationMethod'));
    // S/MIME: iOS and Knox only.
    for (const type of wizardTypes) {
      assert.equal(keys(type).includes('requireSmime'), type === 'iosEasEmailProfileConfiguration' || type === 'androidEasEmailProfileConfiguration', type);
    }
    // Sync schedule: Knox and Windows; third-party apps: iOS only; content types: not Gmail.
    assert.deepEqual(wizardTypes.filter((t) => keys(t).includes('emailSyncSchedule')), ['windows10EasEmailProfileConfiguration', 'androidEasEmailProfileConfiguration']);
    assert.deepEqual(wizardTypes.filter((t) => keys(t).includes('blockSendingEmailFromThirdPartyApps')), ['iosEasEmailProfileConfiguration']);
    assert.ok(!keys('androidWorkProfileGmailEasConfiguration').some((k) => k.startsWith('sync')));
    assert.ok(keys('androidWorkProfileNineWorkEasConfiguration').includes('syncCalendar'));
    // Knox Notes sync fails on the device: never offered.
    assert.ok(!keys('androidEasEmailProfileConfiguration').includes('syncNotes'));
  });

  it('the identity certificate shows only with certificate authentication; the signing certificate only with S/MIME on', () => {
    const ios: WizardType = 'iosEasEmailProfileConfiguration';
    const identity = profileFields.find((f) => f.key === 'identityCertificate@odata.bind')!;
    const signing = profileFields.find((f) => f.key === 'smimeSigningCertificate@odata.bind')!;
    assert.equal(isShown(identity, ios, filled(ios)), false);
    assert.equal(isShown(identity, ios, filled(ios, { authenticationMethod: 'certificate' })), true);
    assert.equal(isShown(identity, 'windows10EasEmailProfileConfiguration', filled('windows10EasEmailProfileConfiguration', { authenticationMethod: 'certificate' })), false);
    assert.equal(isShown(signing, ios, filled(ios, { signingCertificateType: 'certificate' })), false, 'S/MIME off');
    assert.equal(isShown(signing, ios, filled(ios, { requireSmime: true, signingCertificateType: 'certificate' })), true);
    // Knox has no certificate type: S/MIME on is enough.
    const knox: WizardType = 'androidEasEmailProfileConfiguration';
    assert.equal(isShown(signing, knox, filled(knox)), false);
    assert.equal(isShown(signing, knox, filled(knox, { requireSmime: true })), true);
    assert.ok(!shownFields(ios, filled(ios)).some((f) => f.section === 'S/MIME' && f.key !== 'requireSmime'));
  });

  it('hidden fields are not sent, and the server names what a bad value breaks (the message the wizard shows)', () => {
    const ios: WizardType = 'iosEasEmailProfileConfiguration';
    const body = profileBody(ios, validBasics, filled(ios, { authenticationMethod: 'certificate', customDomainName: 'contoso.com' }));
    assert.equal(body.customDomainName, undefined, 'customDomainName is hidden without samAccountName');
    assert.equal(body['identityCertificate@odata.bind'], undefined, 'no certificate chosen');
    const refused = (input: Record<string, unknown>) => {
      try {
        parseProfileCreate(input);
      } catch (error) {
        assert.ok(error instanceof EnvelopeError);
        return { target: error.target, message: error.message };
      }
      return assert.fail('accepted');
    };
    const noCertificate = refused(body);
    assert.equal(noCertificate.target, bindKeyOf('identityCertificate'));
    assert.equal(stepOfTarget(noCertificate.target, ios), 'settings');
    const url = refused(profileBody(ios, validBasics, filled(ios, { hostName: 'https://mail.contoso.com' })));
    assert.equal(url.target, 'hostName');
    assert.match(url.message, /not a URL/);
    assert.equal(stepOfTarget(refused(profileBody(ios, { displayName: '', description: '' }, filled(ios))).target, ios), 'basics');
    const emptyHost = refused(profileBody(ios, validBasics, filled(ios, { hostName: '' })));
    assert.equal(emptyHost.target, 'hostName', 'an empty required field is sent so the API names it');
    assert.equal(stepOfTarget('usernameSource', ios), null, 'a property the wizard does not offer has no field to show it on');
  });
});
