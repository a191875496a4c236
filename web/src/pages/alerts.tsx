/**
 * Alerts: channels (Teams, Slack, email, a signed webhook) with a "Send test alert" button, and the rules that tell
 * them when a lead reaches a stage. Secrets are write-only: typed in, never shown again.
 */

import { type FormEvent, useState } from 'react'
import {
  type AlertChannel,
  type AlertChannelInput,
  type AlertChannelKind,
  type AlertRule,
  type AlertStage,
  type AlertTestResult,
  alertStages,
  type DigestSettings,
} from '../api/alert-types.ts'
import {
  describeError,
  EmptyState,
  ErrorNotice,
  Loading,
  PageHeader,
  RoleNote,
  SecretReveal,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { stageLabel } from '../lib/format.ts'
import { useLoad } from '../lib/use-load.ts'

type Status = { ok: boolean; text: string }

/** "a, b , c" → ["a", "b", "c"]. */
function listOf(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

export function testOutcome(result: AlertTestResult): Status {
  const status = result.status !== undefined ? ` (HTTP ${result.status})` : ''
  return result.ok
    ? { ok: true, text: `Test alert sent to ${result.name}${status}.` }
    : { ok: false, text: `Test alert to ${result.name} failed${status}: ${result.reason ?? result.failureKind}` }
}

function ChannelForm({
  kinds,
  channel,
  onSaved,
  onCancel,
}: {
  kinds: readonly AlertChannelKind[]
  channel?: AlertChannel
  onSaved(status: Status, revealed?: Readonly<Record<string, string>>): void
  onCancel?(): void
}) {
  const api = useApi()
  const [kind, setKind] = useState(channel?.kind ?? kinds[0]?.kind ?? 'teams')
  const [name, setName] = useState(channel?.name ?? '')
  const [config, setConfig] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      Object.entries(channel?.config ?? {}).map(([key, value]) => [
        key,
        Array.isArray(value) ? value.join(', ') : String(value),
      ]),
    ),
  )
  const [secrets, setSecrets] = useState<Record<string, string>>({})
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const definition = kinds.find((candidate) => candidate.kind === kind)
  const properties = Object.entries(definition?.configSchema.properties ?? {})
  const prefix = channel ? `channel-${channel.id}` : 'new-channel'

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    const configValue = Object.fromEntries(
      properties.map(([key, property]) => [
        key,
        property.type === 'array' ? listOf(config[key] ?? '') : (config[key] ?? '').trim(),
      ]),
    )
    const givenSecrets = Object.fromEntries(Object.entries(secrets).filter(([, value]) => value.trim() !== ''))
    try {
      if (channel) {
        await api.updateAlertChannel(channel.id, {
          name: name.trim(),
          config: configValue,
          ...(Object.keys(givenSecrets).length > 0 && { secrets: givenSecrets }),
        })
        onSaved({ ok: true, text: `Channel ${name.trim()} saved.` })
      } else {
        const created = await api.createAlertChannel({
          // One of the kinds GET /v1/alert-channel-kinds listed.
          kind: kind as AlertChannelInput['kind'],
          name: name.trim(),
          config: configValue,
          ...(Object.keys(givenSecrets).length > 0 && { secrets: givenSecrets }),
        })
        setName('')
        setConfig({})
        setSecrets({})
        onSaved({ ok: true, text: `Channel ${created.name} created.` }, created.secrets)
      }
    } catch (caught) {
      setError(describeError(caught))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card form" onSubmit={save} aria-label={channel ? `Edit channel ${channel.name}` : 'New channel'}>
      <h3>{channel ? `Edit ${channel.name}` : 'Add a channel'}</h3>
      {!channel && (
        <label>
          Kind
          <select
            value={kind}
            onChange={(event) => {
              setKind(event.target.value)
              setConfig({})
              setSecrets({})
            }}
          >
            {kinds.map((candidate) => (
              <option key={candidate.kind} value={candidate.kind}>
                {candidate.displayName}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Name
        <input value={name} required maxLength={200} onChange={(event) => setName(event.target.value)} />
      </label>
      {properties.map(([key, property]) => (
        <label key={key} htmlFor={`${prefix}-config-${key}`}>
          {property.description ?? key}
          {property.type === 'array' && <span className="hint"> (separate several with commas)</span>}
          <input
            id={`${prefix}-config-${key}`}
            value={config[key] ?? ''}
            onChange={(event) => setConfig({ ...config, [key]: event.target.value })}
          />
        </label>
      ))}
      {definition?.secretFields.map((field) => (
        <label key={field.name} htmlFor={`${prefix}-secret-${field.name}`}>
          {field.label}
          <input
            id={`${prefix}-secret-${field.name}`}
            type="password"
            autoComplete="off"
            value={secrets[field.name] ?? ''}
            required={field.required && !channel}
            placeholder={channel?.hasSecrets ? 'stored; type to replace' : field.generated ? 'generated if empty' : ''}
            onChange={(event) => setSecrets({ ...secrets, [field.name]: event.target.value })}
          />
          {field.help && <span className="hint">{field.help}</span>}
        </label>
      ))}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {channel ? 'Save channel' : 'Create channel'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  )
}

function RuleForm({
  channels,
  rule,
  onSaved,
  onCancel,
}: {
  channels: readonly AlertChannel[]
  rule?: AlertRule
  onSaved(status: Status): void
  onCancel?(): void
}) {
  const api = useApi()
  const [name, setName] = useState(rule?.name ?? '')
  const [stage, setStage] = useState<AlertStage>(rule?.criteria.stage ?? 'active')
  const [offers, setOffers] = useState(rule?.criteria.offers.join(', ') ?? '')
  const [sources, setSources] = useState(rule?.criteria.sources.join(', ') ?? '')
  const [countries, setCountries] = useState(rule?.criteria.countries.join(', ') ?? '')
  const [includeTest, setIncludeTest] = useState(rule?.criteria.includeTest ?? false)
  const [enabled, setEnabled] = useState(rule?.enabled ?? true)
  const [channelIds, setChannelIds] = useState<string[]>(() => [...(rule?.channelIds ?? [])])
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const prefix = rule ? `rule-${rule.id}` : 'new-rule'

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (channelIds.length === 0) return setError('Choose at least one channel to tell.')
    setBusy(true)
    setError(undefined)
    const input = {
      name: name.trim(),
      enabled,
      criteria: {
        stage,
        offers: listOf(offers),
        sources: listOf(sources),
        countries: listOf(countries),
        includeTest,
      },
      channelIds,
    }
    try {
      if (rule) await api.updateAlertRule(rule.id, input)
      else await api.createAlertRule(input)
      if (!rule) {
        setName('')
        setOffers('')
        setSources('')
        setCountries('')
        setChannelIds([])
      }
      onSaved({ ok: true, text: `Rule ${input.name} ${rule ? 'saved' : 'created'}.` })
    } catch (caught) {
      setError(describeError(caught))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card form" onSubmit={save} aria-label={rule ? `Edit rule ${rule.name}` : 'New rule'}>
      <h3>{rule ? `Edit ${rule.name}` : 'Add a rule'}</h3>
      <label>
        Name
        <input value={name} required maxLength={200} onChange={(event) => setName(event.target.value)} />
      </label>
      <label>
        When a lead first reaches
        <select value={stage} onChange={(event) => setStage(event.target.value as AlertStage)}>
          {alertStages.map((choice) => (
            <option key={choice} value={choice}>
              {stageLabel(choice)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Offers <span className="hint">(offer ids, separated by commas; empty: any offer)</span>
        <input value={offers} onChange={(event) => setOffers(event.target.value)} />
      </label>
      <label>
        Sources <span className="hint">(e.g. AzureMarketplace, AppSource; empty: any)</span>
        <input value={sources} onChange={(event) => setSources(event.target.value)} />
      </label>
      <label>
        Countries <span className="hint">(two-letter codes; empty: any)</span>
        <input value={countries} onChange={(event) => setCountries(event.target.value)} />
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={includeTest} onChange={(event) => setIncludeTest(event.target.checked)} />
        Include test leads (do-not-contact leads never alert)
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
        Enabled
      </label>
      <fieldset>
        <legend>Tell these channels</legend>
        {channels.length === 0 && <p className="hint">Add a channel first.</p>}
        {channels.map((channel) => (
          <label key={channel.id} className="checkbox" htmlFor={`${prefix}-channel-${channel.id}`}>
            <input
              id={`${prefix}-channel-${channel.id}`}
              type="checkbox"
              checked={channelIds.includes(channel.id)}
              onChange={(event) =>
                setChannelIds(
                  event.target.checked
                    ? [...channelIds, channel.id]
                    : channelIds.filter((candidate) => candidate !== channel.id),
                )
              }
            />
            {channel.name}
          </label>
        ))}
      </fieldset>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {rule ? 'Save rule' : 'Create rule'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  )
}

function DigestForm({ settings, onSaved }: { settings: DigestSettings; onSaved(status: Status): void }) {
  const api = useApi()
  const [frequency, setFrequency] = useState<DigestSettings['frequency']>(settings.frequency)
  const [emails, setEmails] = useState(settings.emails.join(', '))
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const saved = await api.putAlertDigest({ frequency, emails: listOf(emails) })
      onSaved({
        ok: true,
        text:
          saved.frequency === 'off'
            ? 'The digest is off.'
            : `The ${saved.frequency} digest goes to ${saved.emails.join(', ')}.`,
      })
    } catch (caught) {
      setError(describeError(caught))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card form" onSubmit={save} aria-label="Digest">
      <label>
        How often
        <select value={frequency} onChange={(event) => setFrequency(event.target.value as DigestSettings['frequency'])}>
          <option value="weekly">Weekly (Mondays, for the week before)</option>
          <option value="daily">Daily (for the day before)</option>
          <option value="off">Off</option>
        </select>
      </label>
      <label>
        Send to <span className="hint">(email addresses, separated by commas)</span>
        <input value={emails} onChange={(event) => setEmails(event.target.value)} />
      </label>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save digest
        </button>
      </div>
    </form>
  )
}

function describeRule(rule: AlertRule): string {
  const { criteria } = rule
  return [
    `first reaches ${stageLabel(criteria.stage)}`,
    criteria.offers.length > 0 ? `offers ${criteria.offers.join(', ')}` : 'any offer',
    ...(criteria.sources.length > 0 ? [`from ${criteria.sources.join(', ')}`] : []),
    ...(criteria.countries.length > 0 ? [`in ${criteria.countries.join(', ')}`] : []),
    ...(criteria.includeTest ? ['test leads too'] : []),
  ].join('; ')
}

/** A channel's or a rule's Edit and Delete buttons; Delete waits while another change runs. */
function EditAndDelete({
  name,
  busy,
  onEdit,
  onDelete,
}: {
  readonly name: string
  readonly busy: boolean
  onEdit(): void
  onDelete(): void
}) {
  return (
    <>
      <button type="button" aria-label={`Edit ${name}`} onClick={onEdit}>
        Edit
      </button>
      <button type="button" aria-label={`Delete ${name}`} disabled={busy} onClick={onDelete}>
        Delete
      </button>
    </>
  )
}

export function AlertsPage() {
  const api = useApi()
  const canEdit = useCan('editor')
  const kinds = useLoad('alert-kinds', () => api.alertChannelKinds())
  const channels = useLoad('alert-channels', () => api.listAlertChannels())
  const rules = useLoad('alert-rules', () => api.listAlertRules())
  const digest = useLoad('alert-digest', () => api.getAlertDigest())
  const [status, setStatus] = useState<Status>()
  const [revealed, setRevealed] = useState<Readonly<Record<string, string>>>()
  const [editing, setEditing] = useState<string>()
  const [busy, setBusy] = useState(false)

  async function act(work: () => Promise<Status>) {
    setBusy(true)
    setStatus(undefined)
    try {
      setStatus(await work())
    } catch (error) {
      setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(false)
      channels.reload()
      rules.reload()
    }
  }

  if (kinds.error || channels.error || rules.error) {
    return (
      <>
        <PageHeader title="Alerts" />
        <ErrorNotice
          error={kinds.error ?? channels.error ?? rules.error}
          onRetry={() => {
            kinds.reload()
            channels.reload()
            rules.reload()
          }}
        />
      </>
    )
  }
  if (!kinds.data || !channels.data || !rules.data) return <Loading what="alerts" />
  const channelList = channels.data.items
  const names = new Map(channelList.map((channel) => [channel.id, channel.name]))
  const saved = (next: Status, secrets?: Readonly<Record<string, string>>) => {
    setStatus(next)
    setRevealed(secrets && Object.keys(secrets).length > 0 ? secrets : undefined)
    setEditing(undefined)
    channels.reload()
    rules.reload()
  }

  return (
    <>
      <PageHeader title="Alerts" />
      <RoleNote needed="editor" what="adding, testing or changing alert channels, rules and the digest" />
      <p className="lede">
        Tell sales the moment a lead matters: a rule fires once per lead when it first reaches a stage, and its channels
        get the lead's name, company, offer and what they asked, with a link back here.
      </p>
      <div role="status" aria-live="polite">
        {status && <p className={status.ok ? 'notice ok' : 'notice error'}>{status.text}</p>}
      </div>
      {revealed && (
        <SecretReveal
          secrets={{ ...revealed }}
          labels={{ signingSecret: 'Signing secret' }}
          onDone={() => setRevealed(undefined)}
        />
      )}

      <section aria-labelledby="alert-channels">
        <h2 id="alert-channels">Channels</h2>
        {channelList.length === 0 ? (
          <EmptyState title="No channels yet">Add Microsoft Teams, Slack, email or a webhook below.</EmptyState>
        ) : (
          <table className="table" aria-label="Alert channels">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {channelList.map((channel) => (
                <tr key={channel.id}>
                  <td>{channel.name}</td>
                  <td>{kinds.data?.items.find((kind) => kind.kind === channel.kind)?.displayName ?? channel.kind}</td>
                  <td className="actions">
                    {canEdit && (
                      <>
                        <button
                          type="button"
                          aria-label={`Send test alert to ${channel.name}`}
                          disabled={busy}
                          onClick={() => act(async () => testOutcome(await api.testAlertChannel(channel.id)))}
                        >
                          Send test alert
                        </button>
                        <EditAndDelete
                          name={channel.name}
                          busy={busy}
                          onEdit={() => setEditing(channel.id)}
                          onDelete={() =>
                            act(async () => {
                              await api.deleteAlertChannel(channel.id)
                              return { ok: true, text: `Channel ${channel.name} deleted.` }
                            })
                          }
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canEdit &&
          channelList
            .filter((channel) => channel.id === editing)
            .map((channel) => (
              <ChannelForm
                key={channel.id}
                kinds={kinds.data?.items ?? []}
                channel={channel}
                onSaved={saved}
                onCancel={() => setEditing(undefined)}
              />
            ))}
        {canEdit && <ChannelForm kinds={kinds.data.items} onSaved={saved} />}
      </section>

      <section aria-labelledby="alert-rules">
        <h2 id="alert-rules">Rules</h2>
        {rules.data.items.length === 0 ? (
          <EmptyState title="No rules yet">
            Add one below, e.g. "first time active" on your most important offer.
          </EmptyState>
        ) : (
          <table className="table" aria-label="Alert rules">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">When</th>
                <th scope="col">Channels</th>
                <th scope="col">Enabled</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.items.map((rule) => (
                <tr key={rule.id}>
                  <td>{rule.name}</td>
                  <td>{describeRule(rule)}</td>
                  <td>{rule.channelIds.map((id) => names.get(id) ?? id).join(', ')}</td>
                  <td>{rule.enabled ? 'Yes' : 'No'}</td>
                  <td className="actions">
                    {canEdit && (
                      <>
                        <button
                          type="button"
                          aria-label={`Send test alert for ${rule.name}`}
                          disabled={busy}
                          onClick={() =>
                            act(async () => {
                              const tested = await api.testAlertRule(rule.id)
                              const outcomes = tested.results.map(testOutcome)
                              return { ok: tested.ok, text: outcomes.map((outcome) => outcome.text).join(' ') }
                            })
                          }
                        >
                          Send test alert
                        </button>
                        <EditAndDelete
                          name={rule.name}
                          busy={busy}
                          onEdit={() => setEditing(rule.id)}
                          onDelete={() =>
                            act(async () => {
                              await api.deleteAlertRule(rule.id)
                              return { ok: true, text: `Rule ${rule.name} deleted.` }
                            })
                          }
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canEdit &&
          rules.data.items
            .filter((rule) => rule.id === editing)
            .map((rule) => (
              <RuleForm
                key={rule.id}
                channels={channelList}
                rule={rule}
                onSaved={saved}
                onCancel={() => setEditing(undefined)}
              />
            ))}
        {canEdit && <RuleForm channels={channelList} onSaved={saved} />}
      </section>

      <section aria-labelledby="alert-digest">
        <h2 id="alert-digest">Digest</h2>
        <p>
          An email with the funnel of the period per offer, next to the period before, and the leads still waiting for a
          destination.
        </p>
        {digest.data &&
          (canEdit ? (
            <DigestForm settings={digest.data} onSaved={saved} />
          ) : (
            <p>
              {digest.data.frequency === 'off'
                ? 'The digest is off.'
                : `The ${digest.data.frequency} digest goes to ${digest.data.emails.join(', ')}.`}
            </p>
          ))}
      </section>
    </>
  )
}
