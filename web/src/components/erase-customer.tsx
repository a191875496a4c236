/** The lead page's erase button: erases the customer's personal data (GDPR Art. 17) after a confirmation. */

import { useEffect, useRef, useState } from 'react'
import type { ApiClient } from '../api/client.ts'
import type { ErasureResult } from '../api/privacy-types.ts'
import { plural } from '../lib/format.ts'
import { describeError } from './ui.tsx'

export type EraseApi = Pick<ApiClient, 'eraseCustomer'>

/**
 * Shown to admins on a lead with an email. The confirmation names the address and what erasing does; after it the
 * result stays on the page (the lead itself no longer has the email).
 */
export function EraseCustomer({
  api,
  email,
  onErased,
}: {
  api: EraseApi
  email: string | undefined
  onErased: () => void
}) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const [result, setResult] = useState<{ email: string; erased: ErasureResult }>()
  const cancel = useRef<HTMLButtonElement>(null)
  const opener = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    // The safe choice takes the focus, so Enter right after opening does not erase.
    if (confirming) cancel.current?.focus()
  }, [confirming])

  function close() {
    setConfirming(false)
    opener.current?.focus()
  }

  async function erase(address: string) {
    setBusy(true)
    setError(undefined)
    try {
      const erased = await api.eraseCustomer(address)
      setResult({ email: address, erased })
      setConfirming(false)
      onErased()
    } catch (caught) {
      setError(describeError(caught))
    } finally {
      setBusy(false)
    }
  }

  if (result) {
    const { erased } = result
    return (
      <p className="notice notice-success" role="status">
        Erased the personal data of {result.email} from {plural(erased.leads, 'lead')}.{' '}
        {erased.deletionsQueued > 0
          ? `${plural(erased.deletionsQueued, 'deletion')} queued at destinations that received them.`
          : 'No destination held a record to delete.'}
      </p>
    )
  }
  if (email === undefined) return null

  return (
    <section className="danger-zone" aria-labelledby="erase-title">
      <h2 id="erase-title">Personal data</h2>
      {!confirming && (
        <button ref={opener} type="button" className="button-danger" onClick={() => setConfirming(true)}>
          Erase this customer's personal data
        </button>
      )}
      {confirming && (
        <div
          className="notice notice-warning"
          role="alertdialog"
          aria-modal="false"
          aria-labelledby="erase-confirm-title"
          aria-describedby="erase-confirm-what"
          onKeyDown={(event) => {
            if (event.key === 'Escape') close()
          }}
        >
          <h3 id="erase-confirm-title">Erase {email}?</h3>
          <div id="erase-confirm-what">
            <p>
              Their name, email, phone, country, company and title are removed from every lead with this address, in
              every offer, and from the events and delivery records behind them. Each destination that received one of
              these leads is asked to delete its record. The leads stay, without personal data, so the funnel keeps its
              numbers.
            </p>
            <p>
              This cannot be undone. Leads from before now with this address will be refused if imported again; a new
              lead from it later is flagged as previously erased.
            </p>
          </div>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          <div className="form-actions">
            <button type="button" className="button-danger" disabled={busy} onClick={() => erase(email)}>
              {busy ? 'Erasing…' : 'Erase personal data'}
            </button>
            <button ref={cancel} type="button" className="button-secondary" disabled={busy} onClick={close}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  )
}
