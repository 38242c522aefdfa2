import { useEffect, useRef, useState, type ReactNode } from 'react';
import {
  Button, Checkbox, Field, Input, MessageBar, MessageBarBody, Radio, RadioGroup, Select, Switch, Text, Textarea,
  makeStyles, mergeClasses, tokens,
} from '@fluentui/react-components';
import { postForForm, FieldError } from '../api-wizard.ts';
import { AppLink, LoadState, PageTitle, useLoad } from '../components.tsx';
import {
  fieldSections, initialValues, profileBody, shownFields, stepOfTarget, wizardPlatforms,
  type FieldSpec, type FieldValue, type WizardType,
} from '../profile-fields.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { DryRunSummary, TargetsPicker, assignBody, isEmpty, noTargets, type DryRunResult, type Targets } from './AssignmentsEditor.tsx';
import { profilesPath, type GraphGroup, type GraphProfile } from './common.ts';

const steps = ['Basics', 'Platform', 'Settings', 'Assignments', 'Review and create'] as const;
type Step = (typeof steps)[number];

const useStyles = makeStyles({
  steps: { listStyleType: 'none', display: 'flex', gap: tokens.spacingHorizontalL, padding: 0, margin: `0 0 ${tokens.spacingVerticalL}`, flexWrap: 'wrap' },
  step: { color: tokens.colorNeutralForeground2, paddingBottom: tokens.spacingVerticalXS },
  current: { color: tokens.colorNeutralForeground1, fontWeight: tokens.fontWeightSemibold, borderBottom: `${tokens.strokeWidthThick} solid ${tokens.colorCompoundBrandStroke}` },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '40rem' },
  fieldset: { border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: tokens.spacingHorizontalL, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  legend: { fontWeight: tokens.fontWeightSemibold, padding: `0 ${tokens.spacingHorizontalXS}` },
  buttons: { display: 'flex', gap: tokens.spacingHorizontalM, marginTop: tokens.spacingVerticalM },
  review: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: 0 },
  heading: { fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold, margin: `0 0 ${tokens.spacingVerticalM}`, outline: 'none' },
});

/**
 * Each setting's wrapper carries `data-setting` (its key; `basics-…` for the basics), so the field an API
 * error names can be found and focused. The controls keep the ids Fluent's Field gives them (their labels).
 */
const focusableIn = (key: string) =>
  document.querySelector<HTMLElement>(`[data-setting="${CSS.escape(key)}"] :is(input, select, textarea)`);
const certificateKinds: Record<string, string> = { Scep: 'SCEP', Pkcs: 'PKCS' };

/**
 * Create profile: basics → platform → settings (exactly the fields of that platform, from
 * `profile-fields.ts`) → assignments → review and create. The API validates, saving nothing:
 * leaving the settings runs `…/deviceConfigurations/envelope/dryRunCreate` without assignments, and
 * leaving the assignments runs it with them, so the review shows the dry run (who gains the profile,
 * conflicts, missing attributes) before anything is saved. An error is the API's message, shown on
 * the field it names. **Create and assign** then creates the profile and assigns it.
 */
export default function CreateProfile() {
  const session = useSession();
  const { api, canWrite } = session;
  const styles = useStyles();
  const [step, setStep] = useState<Step>('Basics');
  const [basics, setBasics] = useState({ displayName: '', description: '' });
  const [type, setType] = useState<WizardType | null>(null);
  const [values, setValues] = useState<Record<string, FieldValue>>({});
  const [targets, setTargets] = useState<Targets>(noTargets);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [stepError, setStepError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<DryRunResult | null>(null);
  const [created, setCreated] = useState<GraphProfile | null>(null);
  const [focusTarget, setFocusTarget] = useState<string | null>('heading');
  const heading = useRef<HTMLHeadingElement>(null);

  const loaded = useLoad(async () => {
    const [groups, profiles] = await Promise.all([
      api.all<GraphGroup>('groups?$top=999&$select=id,displayName', 20_000),
      api.all<GraphProfile>(`${profilesPath}?$top=999`, 5000),
    ]);
    return { groups: groups.items, profiles: profiles.items };
  }, [api]);

  useEffect(() => {
    if (focusTarget === null) return;
    const element = focusTarget === 'heading' ? heading.current : focusableIn(focusTarget);
    element?.focus();
    setFocusTarget(null);
  }, [focusTarget, step]);

  if (!canWrite) {
    return (
      <>
        <PageTitle>Create profile</PageTitle>
        <MessageBar intent="warning"><MessageBarBody>Only an admin token can create profiles.</MessageBarBody></MessageBar>
      </>
    );
  }

  const go = (next: Step) => {
    setStepError(null);
    setStep(next);
    setFocusTarget('heading');
  };
  const setValue = (key: string, value: FieldValue) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors(({ [key]: _dropped, ...rest }) => rest);
  };
  const choosePlatform = (next: WizardType) => {
    if (next !== type) {
      setType(next);
      setValues(initialValues(next));
      setErrors({});
    }
  };

  /**
   * Shows an API error where it belongs: on the field its `target` names (under `profile.` for the dry
   * run), on that field's step, focused; an assignment's error on the assignments step; anything else
   * above the current step's buttons. The message is the API's, unchanged.
   */
  const showError = (e: unknown, wizardType: WizardType) => {
    const message = e instanceof Error ? e.message : String(e);
    const raw = e instanceof FieldError ? e.target : undefined;
    const target = raw?.startsWith('profile.') ? raw.slice('profile.'.length) : raw;
    const where = stepOfTarget(target, wizardType);
    if (where !== null && target !== undefined) {
      setErrors({ [target]: message });
      setStepError(null);
      setStep(where === 'basics' ? 'Basics' : 'Settings');
      setFocusTarget(target === 'displayName' || target === 'description' ? `basics-${target}` : target);
    } else if (target?.startsWith('assignments')) {
      setStep('Assignments');
      setStepError(message);
    } else {
      setStepError(message);
    }
  };

  /**
   * The API checks the profile (and with `withTargets` previews the assignment) without saving
   * anything: `…/deviceConfigurations/envelope/dryRunCreate`. Returns null after showing an error.
   */
  const dryRun = async (withTargets: boolean): Promise<DryRunResult | null> => {
    if (!type) return null;
    setBusy(true);
    setStepError(null);
    try {
      return await postForForm<DryRunResult>(session.session, `${profilesPath}/envelope/dryRunCreate?$top=20`, {
        profile: profileBody(type, basics, values),
        assignments: withTargets ? assignBody(targets).assignments : [],
      }, session.signOut);
    } catch (e) {
      showError(e, type);
      return null;
    } finally {
      setBusy(false);
    }
  };

  /**
   * Creates the profile, then assigns it. A 400 on create goes to its field like the dry run's; if
   * the assign fails after the profile exists, the wizard stays on the review (no Back: the saved
   * profile would no longer match the form) and offers to assign again or to open the profile.
   */
  const create = async () => {
    if (!type) return;
    setBusy(true);
    setStepError(null);
    let profile = created;
    try {
      if (!profile) {
        profile = await postForForm<GraphProfile>(session.session, profilesPath, profileBody(type, basics, values), session.signOut);
        setCreated(profile);
      }
    } catch (e) {
      showError(e, type);
      setBusy(false);
      return;
    }
    try {
      if (!isEmpty(targets)) await postForForm(session.session, `${profilesPath}/${profile.id}/assign`, assignBody(targets), session.signOut);
      navigate(`/profiles/${profile.id}`);
    } catch (e) {
      setStepError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const stepForm = (content: ReactNode, options: { next?: Step; back?: Step; nextLabel?: string; onNext?(): void }) => (
    <form
      className={styles.form}
      noValidate
      aria-labelledby="wizard-step-heading"
      onSubmit={(event) => {
        event.preventDefault();
        if (options.onNext) options.onNext();
        else if (options.next) go(options.next);
      }}
    >
      {content}
      {stepError && <MessageBar intent="error"><MessageBarBody>{stepError}</MessageBarBody></MessageBar>}
      <div className={styles.buttons}>
        {options.back && <Button type="button" onClick={() => go(options.back!)}>Back</Button>}
        {(options.next || options.onNext) && <Button appearance="primary" type="submit" disabled={busy}>{options.nextLabel ?? 'Next'}</Button>}
      </div>
    </form>
  );

  const fieldMessage = (key: string) => (errors[key] ? { validationState: 'error' as const, validationMessage: errors[key] } : {});
  const platformLabel = wizardPlatforms.find((p) => p.type === type)?.label ?? '';
  const shown = type ? shownFields(type, values) : [];

  let body: ReactNode;
  switch (step) {
    case 'Basics':
      body = stepForm(
        <>
          <Field label="Name" required data-setting="basics-displayName" {...fieldMessage('displayName')}>
            <Input value={basics.displayName} onChange={(_e, d) => { setBasics((b) => ({ ...b, displayName: d.value })); setErrors(({ displayName: _d, ...rest }) => rest); }} />
          </Field>
          <Field label="Description" data-setting="basics-description" {...fieldMessage('description')}>
            <Textarea value={basics.description} onChange={(_e, d) => { setBasics((b) => ({ ...b, description: d.value })); setErrors(({ description: _d, ...rest }) => rest); }} />
          </Field>
        </>,
        { next: 'Platform' },
      );
      break;
    case 'Platform':
      body = stepForm(
        <Field label="Platform" required>
          <RadioGroup value={type ?? ''} onChange={(_e, d) => choosePlatform(d.value as WizardType)}>
            {wizardPlatforms.map((p) => <Radio key={p.type} value={p.type} label={<>{p.label} <Text size={200}>— {p.detail}</Text></>} />)}
          </RadioGroup>
        </Field>,
        {
          back: 'Basics',
          // Choosing a platform is the wizard's own step: the API has no field for it.
          onNext: () => (type ? go('Settings') : setStepError('Choose the platform the profile is for.')),
        },
      );
      break;
    case 'Settings':
      body = stepForm(
        <>
          <Text>Settings of a {platformLabel} email profile. The password is never part of a profile: the user types it on the device.</Text>
          {fieldSections.map((section) => {
            const fields = shown.filter((f) => f.section === section);
            if (fields.length === 0) return null;
            return (
              <fieldset key={section} className={styles.fieldset}>
                <legend className={styles.legend}>{section}</legend>
                {fields.map((field) => (
                  <SettingControl key={field.key} field={field} type={type!} value={values[field.key] ?? field.initial} onChange={(v) => setValue(field.key, v)} error={errors[field.key]} certificates={loaded.data?.profiles ?? []} />
                ))}
              </fieldset>
            );
          })}
          {Object.entries(errors).filter(([key]) => !shown.some((f) => f.key === key)).map(([key, message]) => (
            <MessageBar key={key} intent="error"><MessageBarBody>{message}</MessageBarBody></MessageBar>
          ))}
        </>,
        { back: 'Platform', onNext: () => void dryRun(false).then((ok) => ok && go('Assignments')) },
      );
      break;
    case 'Assignments':
      body = stepForm(
        <>
          <Text>Who gets the profile. The next step shows the dry run of this assignment before anything is saved; you may also leave the profile unassigned.</Text>
          <LoadState loaded={loaded} what="groups" />
          {loaded.data && <TargetsPicker groups={loaded.data.groups} value={targets} onChange={setTargets} />}
        </>,
        { back: 'Settings', onNext: () => void dryRun(true).then((result) => { if (result) { setPreview(result); go('Review and create'); } }) },
      );
      break;
    default: {
      const names = new Map(loaded.data?.groups.map((g) => [g.id, g.displayName]) ?? []);
      const assigned = [
        ...(targets.allUsers ? ['All users'] : []),
        ...(targets.allDevices ? ['All devices'] : []),
        ...targets.include.map((id) => names.get(id) ?? id),
        ...targets.exclude.map((id) => `excluding ${names.get(id) ?? id}`),
      ].join(', ') || 'Not assigned';
      const summary = (
        <dl className={styles.review} aria-label="Profile to create">
          <dt>Name</dt><dd>{basics.displayName || '—'}</dd>
          <dt>Description</dt><dd>{basics.description || '—'}</dd>
          <dt>Platform</dt><dd>{platformLabel}</dd>
          {shown.map((field) => <ReviewRow key={field.key} field={field} value={values[field.key] ?? field.initial} certificates={loaded.data?.profiles ?? []} />)}
          <dt>Assignments</dt><dd>{assigned}</dd>
        </dl>
      );
      body = stepForm(
        <>
          {summary}
          <h3 style={{ fontSize: tokens.fontSizeBase400, margin: 0 }}>Dry run of the assignment</h3>
          {isEmpty(targets) ? <Text>Not assigned: the profile reaches no device until you assign it.</Text> : preview && <DryRunSummary result={preview} />}
          {created && <Text>The profile was created but is not assigned: assign it again, or <AppLink to={`/profiles/${created.id}`}>open the profile</AppLink>.</Text>}
        </>,
        {
          ...(created ? {} : { back: 'Assignments' as const }),
          nextLabel: isEmpty(targets) ? 'Create profile' : created ? 'Assign' : 'Create and assign',
          onNext: () => void create(),
        },
      );
    }
  }

  return (
    <>
      <PageTitle>Create profile</PageTitle>
      <Text block><AppLink to="/profiles">All configuration profiles</AppLink></Text>
      <ol className={styles.steps} aria-label="Wizard steps">
        {steps.map((s, i) => (
          <li key={s} className={mergeClasses(styles.step, s === step && styles.current)} aria-current={s === step ? 'step' : undefined}>
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      <h2 id="wizard-step-heading" ref={heading} tabIndex={-1} className={styles.heading}>{step}</h2>
      {body}
    </>
  );
}

/** One setting's control, from its row in the field table. */
function SettingControl({ field, type, value, onChange, error, certificates }: {
  field: FieldSpec; type: WizardType; value: FieldValue; onChange(value: FieldValue): void; error: string | undefined; certificates: readonly GraphProfile[];
}) {
  const message = error ? { validationState: 'error' as const, validationMessage: error } : {};
  const hint = field.hint ? { hint: field.hint } : {};
  const marker = { 'data-setting': field.key };
  switch (field.kind) {
    case 'text':
      return (
        <Field label={field.label} required={field.required ?? false} {...marker} {...hint} {...message}>
          <Input value={typeof value === 'string' ? value : ''} onChange={(_e, d) => onChange(d.value)} />
        </Field>
      );
    case 'choice':
      return (
        <Field label={field.label} {...marker} {...hint} {...message}>
          <Select value={typeof value === 'string' ? value : ''} onChange={(_e, d) => onChange(d.value)}>
            {(field.options ?? []).map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </Select>
        </Field>
      );
    case 'toggle':
      return (
        <Field {...marker} {...hint} {...message}>
          <Switch label={field.label} checked={value === true} onChange={(_e, d) => onChange(d.checked)} />
        </Field>
      );
    case 'flags': {
      const ticked = Array.isArray(value) ? (value as readonly string[]) : [];
      return (
        <fieldset {...marker} style={{ border: 'none', padding: 0, margin: 0 }} aria-describedby={error ? `flags-${field.key}-error` : undefined}>
          <legend>{field.label}</legend>
          {field.hint && <Text block size={200}>{field.hint}</Text>}
          {(field.options ?? []).map((o) => (
            <Checkbox key={o.value} label={o.label} checked={ticked.includes(o.value)}
              onChange={(_e, d) => onChange(d.checked === true ? [...ticked, o.value] : ticked.filter((t) => t !== o.value))} />
          ))}
          {error && <Text id={`flags-${field.key}-error`} block style={{ color: tokens.colorPaletteRedForeground1 }}>{error}</Text>}
        </fieldset>
      );
    }
    default: {
      const allowed = field.certificateTypes?.[type] ?? [];
      const choices = certificates.filter((p) => allowed.includes(p['@odata.type'].replace('#microsoft.graph.', '')));
      return (
        <Field label={field.label} required {...marker} hint={choices.length === 0 ? 'No SCEP or PKCS certificate profile of this platform exists yet: create one first.' : 'A SCEP or PKCS certificate profile of this platform.'} {...message}>
          <Select value={typeof value === 'string' ? value : ''} onChange={(_e, d) => onChange(d.value)}>
            <option value="">Choose a certificate profile</option>
            {choices.map((p) => <option key={p.id} value={p.id}>{p.displayName} ({certificateLabel(p['@odata.type'])})</option>)}
          </Select>
        </Field>
      );
    }
  }
}

function certificateLabel(odataType: string): string {
  const match = /(Scep|Pkcs)CertificateProfile$/.exec(odataType);
  return match ? certificateKinds[match[1]!]! : odataType;
}

function ReviewRow({ field, value, certificates }: { field: FieldSpec; value: FieldValue; certificates: readonly GraphProfile[] }) {
  let shown: string;
  if (field.kind === 'toggle') shown = value === true ? 'Yes' : 'No';
  else if (field.kind === 'flags') shown = Array.isArray(value) && value.length > 0 ? value.map((v) => field.options?.find((o) => o.value === v)?.label ?? v).join(', ') : 'Device default';
  else if (field.kind === 'certificate') shown = certificates.find((p) => p.id === value)?.displayName ?? 'None chosen';
  else if (field.kind === 'choice') shown = field.options?.find((o) => o.value === value)?.label ?? String(value);
  else shown = typeof value === 'string' && value !== '' ? value : '—';
  return (<><dt>{field.label}</dt><dd>{shown}</dd></>);
}
