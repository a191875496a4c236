/** Offers: the marketplace offers leads arrive for, their routing and status, and the default route. */

import { useEffect, useState } from 'react'
import { describeError, EmptyState, ErrorNotice, Loading, PageHeader, RoleNote } from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { formatTime } from '../lib/format.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

function DefaultRoute() {
  const api = useApi()
  const destinations = useLoad('destinations', () => api.listDestinations())
  const route = useLoad('route:default', () => api.getDefaultRoute())
  const mayChange = useCan('admin')
  const [chosen, setChosen] = useState<string[]>()
  const [status, setStatus] = useState<string>()
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (route.data) setChosen(route.data.destinations)
  }, [route.data])

  if (!destinations.data || !chosen) return <ErrorNotice error={destinations.error ?? route.error} />
  if (destinations.data.items.length === 0) return null

  async function save() {
    setBusy(true)
    setStatus(undefined)
    try {
      const saved = await api.putDefaultRoute(chosen ?? [])
      setChosen(saved.destinations)
      setStatus(saved.destinations.length === 0 ? 'Saved: no default route.' : 'Saved.')
    } catch (error) {
      setStatus(describeError(error))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="default-route-title">
      <h2 id="default-route-title">Default route</h2>
      <p className="hint">
        Leads of offers without their own destinations (and of offers not configured here yet) go to these.
      </p>
      <fieldset
        className="checks"
        disabled={!mayChange}
        aria-describedby={mayChange ? undefined : 'default-route-role'}
      >
        <legend className="visually-hidden">Default destinations</legend>
        {destinations.data.items.map((destination) => (
          <label key={destination.id} className="inline">
            <input
              type="checkbox"
              checked={chosen.includes(destination.id)}
              onChange={(event) =>
                setChosen((previous = []) =>
                  event.target.checked ? [...previous, destination.id] : previous.filter((id) => id !== destination.id),
                )
              }
            />
            {destination.name}
          </label>
        ))}
      </fieldset>
      {mayChange ? (
        <div className="form-actions">
          <button type="button" onClick={save} disabled={busy}>
            Save default route
          </button>
          <span role="status">{status}</span>
        </div>
      ) : (
        <RoleNote needed="admin" what="changing the default route" id="default-route-role" />
      )}
    </section>
  )
}

export function OffersPage() {
  const api = useApi()
  const offers = useLoad('offers', () => api.listOffers())
  const destinations = useLoad('destinations', () => api.listDestinations())
  const names = new Map((destinations.data?.items ?? []).map((item) => [item.id, item.name]))
  const mayEdit = useCan('editor')

  return (
    <>
      <PageHeader title="Offers">
        {mayEdit && (
          <Link to="/offers/new" className="button">
            New offer
          </Link>
        )}
      </PageHeader>
      <RoleNote needed="editor" what="adding, changing or publishing offers" />
      <ErrorNotice error={offers.error} onRetry={offers.reload} />
      {!offers.data ? (
        offers.loading && <Loading what="offers" />
      ) : offers.data.items.length === 0 ? (
        <EmptyState title="No offers yet">
          <p>
            Add each marketplace offer you receive leads for, with the id Partner Center shows (like{' '}
            <code>contoso.crm-suite</code>), route it to a destination, and press <strong>Publish</strong>: Leadrelay
            checks every destination with a test lead before the offer goes live.
          </p>
          <p>
            {!mayEdit ? null : destinations.data && destinations.data.items.length === 0 ? (
              <>
                Start with a <Link to="/destinations/new">destination</Link>, then{' '}
                <Link to="/offers/new">add the offer</Link>.
              </>
            ) : (
              <Link to="/offers/new" className="button">
                Add an offer
              </Link>
            )}
          </p>
        </EmptyState>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Offers</caption>
          <thead>
            <tr>
              <th scope="col">Offer</th>
              <th scope="col">Status</th>
              <th scope="col">Destinations</th>
              <th scope="col">Published</th>
            </tr>
          </thead>
          <tbody>
            {offers.data.items.map((offer) => (
              <tr key={offer.id}>
                <td data-label="Offer">
                  <Link to={pathTo('offers', offer.id)} className="row-link">
                    {offer.title ?? offer.id}
                  </Link>
                  <div className="sub mono">{offer.id}</div>
                </td>
                <td data-label="Status">
                  <span className={`badge offer-${offer.status}`}>{offer.status === 'live' ? 'Live' : 'Draft'}</span>
                </td>
                <td data-label="Destinations">
                  {offer.destinations.length === 0
                    ? 'Default route'
                    : offer.destinations.map((id) => names.get(id) ?? id).join(', ')}
                </td>
                <td data-label="Published">{formatTime(offer.publishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <DefaultRoute />
    </>
  )
}
