/** Create a destination (choose a kind, fill in its generated form) or edit one. */

import { useState } from 'react'
import type { DestinationKind, DestinationWithSecrets } from '../api/types.ts'
import { DeliveryLog } from '../components/delivery-log.tsx'
import { DestinationForm, type DestinationFormValues } from '../components/destination-form.tsx'
import {
  describeError,
  EmptyState,
  ErrorNotice,
  HealthBadge,
  Loading,
  OfferName,
  PageHeader,
  RoleNote,
  SecretReveal,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { healthAdvice, healthOf } from '../lib/deliveries.ts'
import { formatTime } from '../lib/format.ts'
import { Link, navigate, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'
import { DestinationActions } from './destinations.tsx'

export function secretLabels(kind: DestinationKind | undefined): Record<string, string> {
  return Object.fromEntries((kind?.secretFields ?? []).map((field) => [field.name, field.label]))
}

/** Secrets the API generated in this answer (for example a webhook's signing secret), to show once. */
export function revealedSecrets(kind: DestinationKind, answer: DestinationWithSecrets): Record<string, string> {
  const found: Record<string, string> = {}
  for (const field of kind.secretFields) {
    const value = answer[field.name]
    if (typeof value === 'string' && value) found[field.name] = value
  }
  return found
}

export function NewDestinationPage() {
  const api = useApi()
  const mayCreate = useCan('admin')
  const kinds = useLoad('kinds', () => api.destinationKinds())
  const [chosen, setChosen] = useState<string>()
  const [created, setCreated] = useState<{ id: string; secrets: Record<string, string> }>()
  const kind = kinds.data?.items.find((item) => item.kind === (chosen ?? 'webhook')) ?? kinds.data?.items[0]

  async function create(values: DestinationFormValues) {
    if (!kind) return
    const answer = await api.createDestination({
      kind: kind.kind,
      name: values.name,
      config: values.config,
      ...(Object.keys(values.secrets).length > 0 && { secrets: values.secrets }),
    })
    const secrets = revealedSecrets(kind, answer)
    if (Object.keys(secrets).length > 0) setCreated({ id: answer.id, secrets })
    else navigate(pathTo('destinations', answer.id))
  }

  if (created) {
    return (
      <>
        <PageHeader title="Destination created" />
        <SecretReveal
          secrets={created.secrets}
          labels={secretLabels(kind)}
          onDone={() => navigate(pathTo('destinations', created.id))}
          doneLabel="I have stored it — continue"
        />
      </>
    )
  }

  return (
    <>
      <p className="breadcrumb">
        <Link to="/destinations">← Destinations</Link>
      </p>
      <PageHeader title="New destination" />
      <ErrorNotice error={kinds.error} onRetry={kinds.reload} />
      {!mayCreate ? (
        <RoleNote needed="admin" what="adding destinations" />
      ) : !kinds.data ? (
        kinds.loading && <Loading what="destination kinds" />
      ) : kinds.data.items.length === 0 || !kind ? (
        <EmptyState title="No destination kinds">
          <p>This Leadrelay has no connectors registered. Ask your operator.</p>
        </EmptyState>
      ) : (
        <>
          <fieldset className="kind-picker">
            <legend>Kind</legend>
            {kinds.data.items.map((item) => (
              <label key={item.kind} className={`kind-option${item.kind === kind.kind ? ' selected' : ''}`}>
                <input
                  type="radio"
                  name="destination-kind"
                  value={item.kind}
                  checked={item.kind === kind.kind}
                  onChange={() => setChosen(item.kind)}
                />
                {item.displayName}
              </label>
            ))}
          </fieldset>
          <DestinationForm
            key={kind.kind}
            kind={kind}
            submitLabel="Create destination"
            onSubmit={create}
            onCancel={() => navigate('/destinations')}
          />
        </>
      )}
    </>
  )
}

export function DestinationPage({ destinationId }: { destinationId: string }) {
  const api = useApi()
  const mayChange = useCan('admin')
  const destination = useLoad(`destination:${destinationId}`, () => api.getDestination(destinationId))
  const kinds = useLoad('kinds', () => api.destinationKinds())
  const offers = useLoad('offers', () => api.listOffers())
  const [saved, setSaved] = useState<string>()
  const [revealed, setRevealed] = useState<Record<string, string>>()
  const [deleteError, setDeleteError] = useState<string>()
  const data = destination.data
  const kind = data && kinds.data?.items.find((item) => item.kind === data.kind)

  async function update(values: DestinationFormValues) {
    if (!kind) return
    setSaved(undefined)
    const answer = await api.updateDestination(destinationId, {
      name: values.name,
      config: values.config,
      ...(Object.keys(values.secrets).length > 0 && { secrets: values.secrets }),
    })
    const secrets = revealedSecrets(kind, answer)
    if (Object.keys(secrets).length > 0) setRevealed(secrets)
    setSaved(
      data?.state !== 'active'
        ? 'Saved. The destination is active again; waiting deliveries go out now.'
        : 'Saved. New settings apply to the next delivery.',
    )
    destination.reload()
  }

  async function remove() {
    if (!data) return
    if (!window.confirm(`Delete "${data.name}"? Its routes are removed and its waiting deliveries end as dead.`)) return
    try {
      await api.deleteDestination(destinationId)
      navigate('/destinations')
    } catch (error) {
      setDeleteError(describeError(error))
    }
  }

  if (!data || !kinds.data) {
    const error = destination.error ?? kinds.error
    return error ? (
      <>
        <PageHeader title="Destination" />
        <ErrorNotice error={error} onRetry={destination.reload} />
        <Link to="/destinations">Back to destinations</Link>
      </>
    ) : (
      <Loading what="the destination" />
    )
  }
  const advice = healthAdvice(data)

  return (
    <>
      <p className="breadcrumb">
        <Link to="/destinations">← Destinations</Link>
      </p>
      <PageHeader title={data.name}>
        <HealthBadge destination={data} />
      </PageHeader>
      {healthOf(data) !== 'healthy' && (
        <div className="notice notice-warning">
          {data.failingSince && <p>Failing since {formatTime(data.failingSince)}.</p>}
          {data.throttledSince && <p>Rate limited since {formatTime(data.throttledSince)}.</p>}
          {data.stateReason && (
            <p>
              <strong>Why:</strong> {data.stateReason}
            </p>
          )}
          {advice && <p>{advice}</p>}
        </div>
      )}
      <p className="hint" data-testid="delivery-window">
        {data.concurrency
          ? `Sending up to ${data.concurrency.window} at once (${data.concurrency.inFlight} now), adapting to how fast it answers; at most ${data.concurrency.ceiling}.`
          : `Sending starts at up to ${Math.min(4, data.limits.maxConcurrency)} at once and adapts to how fast it answers; at most ${data.limits.maxConcurrency}.`}
      </p>
      <DestinationActions destination={data} kind={kind} onChanged={destination.reload} />
      {revealed && (
        <SecretReveal
          secrets={revealed}
          labels={secretLabels(kind)}
          onDone={() => setRevealed(undefined)}
          doneLabel="Done"
        />
      )}
      {saved && (
        <p className="notice notice-success" role="status">
          {saved}
        </p>
      )}
      <section className="card" aria-labelledby="routed-offers-title">
        <h2 id="routed-offers-title">Offers routed here</h2>
        {(() => {
          const routed = (offers.data?.items ?? []).filter((offer) => offer.destinations.includes(data.id))
          if (!offers.data) return <p className="loading">Loading offers…</p>
          return routed.length === 0 ? (
            <p className="empty-inline">
              No offer routes its leads here (the default route may). <Link to="/offers">Route an offer</Link>.
            </p>
          ) : (
            <ul className="offer-list">
              {routed.map((offer) => (
                <li key={offer.id}>
                  <OfferName offerId={offer.id} title={offer.title} />
                </li>
              ))}
            </ul>
          )
        })()}
      </section>
      <DeliveryLog api={api} destinationId={data.id} />
      <h2>Settings</h2>
      <RoleNote needed="admin" what="changing or deleting destinations" id="destination-role" />
      {kind ? (
        <fieldset className="bare" disabled={!mayChange}>
          <legend className="visually-hidden">Destination settings</legend>
          <DestinationForm
            key={data.updatedAt}
            kind={kind}
            destination={data}
            submitLabel="Save changes"
            onSubmit={update}
          />
        </fieldset>
      ) : (
        <p className="notice notice-error">This Leadrelay no longer knows destinations of kind “{data.kind}”.</p>
      )}
      {mayChange && (
        <section className="danger-zone" aria-labelledby="danger-title">
          <h2 id="danger-title">Delete</h2>
          <p className="hint">Removes it from every route; its waiting deliveries end as dead.</p>
          <button type="button" className="button-danger" onClick={remove}>
            Delete destination
          </button>
          {deleteError && (
            <p className="field-error" role="alert">
              {deleteError}
            </p>
          )}
        </section>
      )}
    </>
  )
}
