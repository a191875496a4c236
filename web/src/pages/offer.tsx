/** Create or edit an offer: its id, title, the names leads may use for it, its routing; then Publish. */

import { type FormEvent, useEffect, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { Backfill, Destination, EarlierLeadsChoice, OfferInput, PublishResult, SavedOffer } from '../api/types.ts'
import {
  CheckOutcome,
  describeError,
  ErrorNotice,
  HealthBadge,
  Loading,
  PageHeader,
  RoleNote,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { formatTime } from '../lib/format.ts'
import { Link, navigate, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

const offerIdPattern = /^[^\s/|]+$/

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

function namesOf(ids: readonly string[], destinations: readonly Destination[]): string {
  const names = ids.map((id) => destinations.find((destination) => destination.id === id)?.name ?? id)
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

/** The choice for leads that arrived before the route gained destinations, with how many it concerns. */
function EarlierLeadsChoiceField({
  preview,
  destinations,
  choice,
  onChoose,
}: {
  preview: Backfill
  destinations: readonly Destination[]
  choice: EarlierLeadsChoice
  onChoose: (choice: EarlierLeadsChoice) => void
}) {
  const reaching = preview.destinations.filter((entry) => entry.leads > 0).map((entry) => entry.id)
  return (
    <fieldset className="group" aria-describedby="earlier-leads-summary">
      <legend>Earlier leads</legend>
      <p id="earlier-leads-summary">
        {plural(preview.leads, 'lead')} arrived before this change and {preview.leads === 1 ? 'has' : 'have'} not
        reached {namesOf(reaching, destinations)} yet.
      </p>
      <div className="checks">
        <label className="inline">
          <input
            type="radio"
            name="earlier-leads"
            value="deliver"
            checked={choice === 'deliver'}
            onChange={() => onChoose('deliver')}
          />
          Deliver earlier leads ({plural(preview.leads, 'earlier lead')} will be delivered)
        </label>
        <label className="inline">
          <input
            type="radio"
            name="earlier-leads"
            value="skip"
            checked={choice === 'skip'}
            onChange={() => onChoose('skip')}
          />
          Only new ones
        </label>
      </div>
    </fieldset>
  )
}

/** What a save did for earlier leads, in words. */
function backfillReport(backfill: Backfill): string {
  const parts: string[] = []
  if (backfill.joinedLeads > 0)
    parts.push(`${plural(backfill.joinedLeads, 'lead')} that arrived before the offer was set up joined it.`)
  if (backfill.queued > 0)
    parts.push(
      `${plural(backfill.leads, 'earlier lead')} queued for delivery (${plural(backfill.queued, 'delivery', 'deliveries')}).`,
    )
  else if (backfill.earlierLeads === 'skip' && backfill.leads > 0)
    parts.push(`${plural(backfill.leads, 'earlier lead')} left out: only new leads go to the new destinations.`)
  return parts.join(' ')
}

function PublishResults({ result }: { result: PublishResult }) {
  return (
    <section
      className={`notice ${result.status === 'live' ? 'notice-success' : 'notice-error'}`}
      aria-labelledby="publish-title"
      role="status"
    >
      <h2 id="publish-title">
        {result.status === 'live'
          ? 'Published: the offer is live'
          : 'Not published: fix the destinations below and publish again'}
      </h2>
      {result.usesDefaultRoute && <p>This offer has no destinations of its own, so the default route was checked.</p>}
      <ul className="results">
        {result.results.map((item) => (
          <li key={item.destinationId}>
            <strong>{item.name}</strong> <span className="sub">({item.kind})</span>:{' '}
            <CheckOutcome ok={item.ok} step={item.step} {...(item.reason !== undefined && { reason: item.reason })} />
          </li>
        ))}
      </ul>
    </section>
  )
}

export function OfferPage({ offerId }: { offerId?: string }) {
  const api = useApi()
  const mayEdit = useCan('editor')
  const creating = offerId === undefined
  const offer = useLoad(`offer:${offerId ?? ''}`, () =>
    offerId === undefined ? Promise.resolve(undefined) : api.getOffer(offerId),
  )
  const destinations = useLoad('destinations', () => api.listDestinations())
  const [id, setId] = useState('')
  const [title, setTitle] = useState('')
  const [aliases, setAliases] = useState('')
  const [routing, setRouting] = useState<string[]>([])
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [saved, setSaved] = useState<string>()
  const [formError, setFormError] = useState<string>()
  const [busy, setBusy] = useState<'save' | 'publish'>()
  const [published, setPublished] = useState<PublishResult>()
  const [earlierLeads, setEarlierLeads] = useState<EarlierLeadsChoice>('deliver')
  const [preview, setPreview] = useState<Backfill>()

  const loaded = offer.data
  useEffect(() => {
    if (!loaded) return
    setId(loaded.id)
    setTitle(loaded.title ?? '')
    // The title is kept as an alias by the API; show only the extra names.
    setAliases(loaded.aliases.filter((alias) => alias !== loaded.title).join('\n'))
    setRouting([...loaded.destinations])
  }, [loaded])

  function formInput(): OfferInput {
    const names = aliases
      .split('\n')
      .map((alias) => alias.trim())
      .filter(Boolean)
    return { ...(title.trim() && { title: title.trim() }), aliases: names, destinations: routing }
  }

  // Whenever the form differs from what is saved, ask the server what saving would do for earlier leads.
  const trimmedId = id.trim()
  const changed =
    offerIdPattern.test(trimmedId) &&
    (loaded === undefined ||
      title.trim() !== (loaded.title ?? '') ||
      aliases.trim() !== loaded.aliases.filter((alias) => alias !== loaded.title).join('\n') ||
      [...routing].sort().join(' ') !== [...loaded.destinations].sort().join(' '))
  const previewKey = changed ? JSON.stringify([trimmedId, formInput()]) : ''
  useEffect(() => {
    if (!previewKey) {
      setPreview(undefined)
      return
    }
    const [offerId, input] = JSON.parse(previewKey) as [string, OfferInput]
    let current = true
    const timer = setTimeout(() => {
      api.previewOffer(offerId, input).then(
        (result) => current && setPreview(result.backfill),
        // A preview that fails (a name taken by another offer) says nothing; saving reports the problem.
        () => current && setPreview(undefined),
      )
    }, 300)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [previewKey, api])

  function validate(): Record<string, string> {
    const found: Record<string, string> = {}
    const trimmed = id.trim()
    if (!trimmed) found.id = 'Enter the offer id from Partner Center'
    else if (!offerIdPattern.test(trimmed)) found.id = 'An offer id has no spaces, slashes or bars'
    return found
  }

  async function save(): Promise<SavedOffer | undefined> {
    const found = validate()
    setErrors(found)
    if (found.id) {
      document.getElementById('offer-id')?.focus()
      return undefined
    }
    const result = await api.putOffer(id.trim(), { ...formInput(), earlierLeads })
    if (creating) navigate(pathTo('offers', result.id), { replace: true })
    return result
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setBusy('save')
    setSaved(undefined)
    setFormError(undefined)
    try {
      const result = await save()
      if (result) {
        setSaved(
          [
            'Saved. Changed routing makes the offer a draft until you publish it again.',
            backfillReport(result.backfill),
          ]
            .filter(Boolean)
            .join(' '),
        )
        setPreview(undefined)
        offer.reload()
      }
    } catch (error) {
      if (error instanceof ApiError && (error.field === 'offerId' || error.field === 'aliases'))
        setErrors({ [error.field === 'offerId' ? 'id' : 'aliases']: error.message })
      else setFormError(describeError(error))
    } finally {
      setBusy(undefined)
    }
  }

  async function publish() {
    setBusy('publish')
    setPublished(undefined)
    setFormError(undefined)
    try {
      const result = await save()
      if (!result) return
      setSaved(backfillReport(result.backfill) || undefined)
      setPreview(undefined)
      setPublished(await api.publishOffer(result.id))
      offer.reload()
    } catch (error) {
      setFormError(describeError(error))
    } finally {
      setBusy(undefined)
    }
  }

  if (!creating && offer.error && !loaded) {
    return (
      <>
        <PageHeader title="Offer" />
        <ErrorNotice error={offer.error} onRetry={offer.reload} />
        <Link to="/offers">Back to offers</Link>
      </>
    )
  }
  if (!creating && !loaded) return <Loading what="the offer" />
  const available = destinations.data?.items ?? []

  return (
    <>
      <p className="breadcrumb">
        <Link to="/offers">← Offers</Link>
      </p>
      <PageHeader title={creating ? 'New offer' : (loaded?.title ?? loaded?.id ?? 'Offer')}>
        {loaded && (
          <span className={`badge offer-${loaded.status}`}>
            {loaded.status === 'live' ? `Live since ${formatTime(loaded.publishedAt)}` : 'Draft'}
          </span>
        )}
      </PageHeader>
      <RoleNote needed="editor" what={creating ? 'adding offers' : 'changing or publishing this offer'} />
      <form className="form" onSubmit={submit} noValidate aria-busy={busy !== undefined}>
        {/* A role that cannot change offers reads the form; the API would refuse the change anyway. */}
        <fieldset className="bare" disabled={!mayEdit}>
          <legend className="visually-hidden">Offer settings</legend>
          <div className="field">
            <label htmlFor="offer-id">
              Offer id <span className="required">(required)</span>
            </label>
            <input
              id="offer-id"
              value={id}
              readOnly={!creating}
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.id ? true : undefined}
              aria-describedby={errors.id ? 'offer-id-error offer-id-help' : 'offer-id-help'}
              onChange={(event) => setId(event.target.value)}
              onBlur={() => creating && setErrors(validate())}
            />
            <p className="hint" id="offer-id-help">
              {creating
                ? 'The publisher.offer id in Partner Center, as it appears after the bar in LeadSource (e.g. contoso.crm-suite).'
                : 'The id cannot change.'}
            </p>
            {errors.id && (
              <p className="field-error" id="offer-id-error">
                {errors.id}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="offer-title">
              Title <span className="optional">(optional)</span>
            </label>
            <input
              id="offer-title"
              value={title}
              autoComplete="off"
              aria-describedby="offer-title-help"
              onChange={(event) => setTitle(event.target.value)}
            />
            <p className="hint" id="offer-title-help">
              The display name on the marketplace; leads that carry it find this offer too.
            </p>
          </div>
          <div className="field">
            <label htmlFor="offer-aliases">
              Other names <span className="optional">(optional)</span>
            </label>
            <textarea
              id="offer-aliases"
              rows={3}
              value={aliases}
              aria-invalid={errors.aliases ? true : undefined}
              aria-describedby="offer-aliases-help"
              onChange={(event) => setAliases(event.target.value)}
            />
            <p className="hint" id="offer-aliases-help">
              One per line: older titles or ids leads may still name this offer by.
            </p>
            {errors.aliases && <p className="field-error">{errors.aliases}</p>}
          </div>
          <fieldset className="group">
            <legend>Destinations</legend>
            {available.length === 0 ? (
              <p>
                No destinations yet. <Link to="/destinations/new">Add a destination</Link> first; until then, leads are
                stored but not sent anywhere.
              </p>
            ) : (
              <>
                <p className="hint">
                  Leads of this offer go to every destination ticked here. Tick none to use the default route.
                </p>
                <div className="checks">
                  {available.map((destination) => (
                    <label key={destination.id} className="inline">
                      <input
                        type="checkbox"
                        checked={routing.includes(destination.id)}
                        onChange={(event) =>
                          setRouting((previous) =>
                            event.target.checked
                              ? [...previous, destination.id]
                              : previous.filter((item) => item !== destination.id),
                          )
                        }
                      />
                      {destination.name} <HealthBadge destination={destination} />
                    </label>
                  ))}
                </div>
              </>
            )}
          </fieldset>
          {preview && preview.leads > 0 && (
            <EarlierLeadsChoiceField
              preview={preview}
              destinations={available}
              choice={earlierLeads}
              onChoose={setEarlierLeads}
            />
          )}
          {formError && (
            <div className="notice notice-error" role="alert">
              {formError}
            </div>
          )}
          {saved && (
            <p className="notice notice-success" role="status">
              {saved}
            </p>
          )}
        </fieldset>
        {mayEdit && (
          <>
            <div className="form-actions">
              <button type="submit" disabled={busy !== undefined}>
                {busy === 'save' ? 'Saving…' : creating ? 'Create offer' : 'Save'}
              </button>
              <button type="button" className="button-primary-alt" disabled={busy !== undefined} onClick={publish}>
                {busy === 'publish' ? 'Publishing… (sending test leads)' : 'Publish'}
              </button>
            </div>
            <p className="hint">
              Publish saves, checks every destination and sends each a test lead (every text value reads{' '}
              <code>LEADRELAY_TEST_…</code>). The offer goes live only when all of them accept it.
            </p>
          </>
        )}
      </form>
      {published && <PublishResults result={published} />}
    </>
  )
}
