/** Create or edit an offer: its id, title, the names leads may use for it, its routing; then Publish. */

import { type FormEvent, useEffect, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { Offer, PublishResult } from '../api/types.ts'
import { CheckOutcome, describeError, ErrorNotice, HealthBadge, Loading, PageHeader } from '../components/ui.tsx'
import { useApi } from '../lib/api-context.ts'
import { formatTime } from '../lib/format.ts'
import { Link, navigate, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

const offerIdPattern = /^[^\s/|]+$/

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

  const loaded = offer.data
  useEffect(() => {
    if (!loaded) return
    setId(loaded.id)
    setTitle(loaded.title ?? '')
    // The title is kept as an alias by the API; show only the extra names.
    setAliases(loaded.aliases.filter((alias) => alias !== loaded.title).join('\n'))
    setRouting(loaded.destinations)
  }, [loaded])

  function validate(): Record<string, string> {
    const found: Record<string, string> = {}
    const trimmed = id.trim()
    if (!trimmed) found.id = 'Enter the offer id from Partner Center'
    else if (!offerIdPattern.test(trimmed)) found.id = 'An offer id has no spaces, slashes or bars'
    return found
  }

  async function save(): Promise<Offer | undefined> {
    const found = validate()
    setErrors(found)
    if (found.id) {
      document.getElementById('offer-id')?.focus()
      return undefined
    }
    const names = aliases
      .split('\n')
      .map((alias) => alias.trim())
      .filter(Boolean)
    const result = await api.putOffer(id.trim(), {
      ...(title.trim() && { title: title.trim() }),
      aliases: names,
      destinations: routing,
    })
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
        setSaved('Saved. Changed routing makes the offer a draft until you publish it again.')
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
      <form className="form" onSubmit={submit} noValidate aria-busy={busy !== undefined}>
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
      </form>
      {published && <PublishResults result={published} />}
    </>
  )
}
