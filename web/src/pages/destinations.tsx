/** Destinations: where leads go, with their health, Test connection and secret rotation. */

import { useState } from 'react'
import type { CheckResult, Destination, DestinationKind } from '../api/types.ts'
import {
  CheckOutcome,
  describeError,
  EmptyState,
  ErrorNotice,
  HealthBadge,
  Loading,
  PageHeader,
  RoleNote,
  SecretReveal,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { healthAdvice } from '../lib/deliveries.ts'
import { formatTime } from '../lib/format.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

/** The setting that says where a destination points, for the list (never a secret: config holds none). */
function targetOf(destination: Destination): string | undefined {
  const config = destination.config
  for (const key of ['url', 'environmentUrl', 'instanceUrl', 'restUrl', 'munchkinId', 'portalId', 'tableName']) {
    const value = config[key]
    if (typeof value === 'string' && value) return value
  }
  return undefined
}

export function DestinationActions({
  destination,
  kind,
  onChanged,
}: {
  destination: Destination
  kind: DestinationKind | undefined
  onChanged: () => void
}) {
  const api = useApi()
  const mayChange = useCan('admin')
  const [check, setCheck] = useState<CheckResult>()
  const [revealed, setRevealed] = useState<Record<string, string>>()
  const [busy, setBusy] = useState<'verify' | 'rotate'>()
  const [error, setError] = useState<string>()

  async function verify() {
    setBusy('verify')
    setCheck(undefined)
    setError(undefined)
    try {
      setCheck(await api.verifyDestination(destination.id))
      onChanged()
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setBusy(undefined)
    }
  }

  async function rotate() {
    if (
      !window.confirm(
        `Rotate the secret of "${destination.name}"? A new secret is shown once; the old one keeps working for 24 hours.`,
      )
    )
      return
    setBusy('rotate')
    setError(undefined)
    try {
      const answer = await api.rotateSecrets(destination.id)
      const secrets = Object.fromEntries(
        (kind?.secretFields ?? [])
          .map((field) => [field.name, answer[field.name]] as const)
          .filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string'),
      )
      setRevealed(secrets)
      onChanged()
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setBusy(undefined)
    }
  }

  // Test connection sends a test lead and rotation changes a secret: both are an administrator's.
  if (!mayChange) return null
  return (
    <div className="destination-actions">
      <div className="form-actions">
        <button type="button" className="button-secondary" onClick={verify} disabled={busy !== undefined}>
          {busy === 'verify' ? 'Testing…' : 'Test connection'}
        </button>
        {kind?.supportsSecretRotation && (
          <button type="button" className="button-secondary" onClick={rotate} disabled={busy !== undefined}>
            {busy === 'rotate' ? 'Rotating…' : 'Rotate secret'}
          </button>
        )}
      </div>
      <div role="status" aria-live="polite">
        {check && <CheckOutcome ok={check.ok} step={check.step} {...(check.reason && { reason: check.reason })} />}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {revealed && Object.keys(revealed).length > 0 && (
        <SecretReveal
          secrets={revealed}
          labels={Object.fromEntries((kind?.secretFields ?? []).map((field) => [field.name, field.label]))}
          onDone={() => setRevealed(undefined)}
          doneLabel="Done"
        />
      )}
    </div>
  )
}

export function DestinationsPage() {
  const api = useApi()
  const destinations = useLoad('destinations', () => api.listDestinations())
  const kinds = useLoad('kinds', () => api.destinationKinds())
  const kindOf = (name: string) => kinds.data?.items.find((kind) => kind.kind === name)
  const mayCreate = useCan('admin')

  return (
    <>
      <PageHeader title="Destinations">
        {mayCreate && (
          <Link to="/destinations/new" className="button">
            New destination
          </Link>
        )}
      </PageHeader>
      <RoleNote needed="admin" what="adding, testing or changing destinations" />
      <ErrorNotice error={destinations.error} onRetry={destinations.reload} />
      {!destinations.data ? (
        destinations.loading && <Loading what="destinations" />
      ) : destinations.data.items.length === 0 ? (
        <EmptyState title="No destinations yet">
          <p>
            A destination is where Leadrelay delivers leads: your CRM or a webhook of your own. Add one, press{' '}
            <strong>Test connection</strong>, then route an offer to it.
          </p>
          {mayCreate && (
            <p>
              <Link to="/destinations/new" className="button">
                Add a destination
              </Link>
            </p>
          )}
        </EmptyState>
      ) : (
        <ul className="cards">
          {destinations.data.items.map((destination) => {
            const advice = healthAdvice(destination)
            const target = targetOf(destination)
            return (
              <li key={destination.id} className="card destination-card">
                <div className="group-head">
                  <h2>
                    <Link to={pathTo('destinations', destination.id)}>{destination.name}</Link>
                  </h2>
                  <HealthBadge destination={destination} />
                </div>
                <p className="sub">
                  {kindOf(destination.kind)?.displayName ?? destination.kind}
                  {target && (
                    <>
                      {' · '}
                      <span className="mono">{target}</span>
                    </>
                  )}
                </p>
                {destination.stateReason && destination.state !== 'active' && (
                  <p className="reason">
                    <strong>Why:</strong> {destination.stateReason}
                  </p>
                )}
                {destination.failingSince && (
                  <p className="reason">Failing since {formatTime(destination.failingSince)}.</p>
                )}
                {advice && <p className="hint">{advice}</p>}
                <DestinationActions
                  destination={destination}
                  kind={kindOf(destination.kind)}
                  onChanged={destinations.reload}
                />
              </li>
            )
          })}
        </ul>
      )}
    </>
  )
}
