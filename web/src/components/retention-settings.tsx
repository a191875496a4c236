/** Settings > Retention: how long the tenant keeps delivery attempts, idle leads' events and the audit log. */

import { type FormEvent, useState } from 'react'
import { type ApiClient, ApiError } from '../api/client.ts'
import type { RetentionValues, RetentionSettings as Settings } from '../api/privacy-types.ts'
import { formatTime } from '../lib/format.ts'
import { useLoad } from '../lib/use-load.ts'
import { describeError, ErrorNotice, FormActions, type FormStatus, Loading } from './ui.tsx'

export type RetentionApi = Pick<ApiClient, 'getRetention' | 'putRetention'>

type Field = keyof RetentionValues

const fields: readonly { field: Field; label: string; unit: string; help: string }[] = [
  {
    field: 'attemptsDays',
    label: 'Delivery attempts',
    unit: 'days',
    help: 'Older attempts are deleted; each delivery keeps its final state.',
  },
  {
    field: 'leadEventsIdleMonths',
    label: 'Events of idle leads',
    unit: 'months',
    help: "A lead with no event for this long keeps only its funnel steps and latest event, carrying the lead's own contact details; the lead itself stays.",
  },
  {
    field: 'auditMonths',
    label: 'Audit log',
    unit: 'months',
    help: 'Older entries are deleted.',
  },
]

export function RetentionSettings({ api, canEdit }: { api: RetentionApi; canEdit: boolean }) {
  const settings = useLoad('retention', () => api.getRetention())
  if (!settings.data) {
    return settings.error ? (
      <ErrorNotice error={settings.error} onRetry={settings.reload} />
    ) : (
      <Loading what="retention settings" />
    )
  }
  return <RetentionForm api={api} canEdit={canEdit} settings={settings.data} onSaved={settings.reload} />
}

function RetentionForm({
  api,
  canEdit,
  settings,
  onSaved,
}: {
  api: RetentionApi
  canEdit: boolean
  settings: Settings
  onSaved: () => void
}) {
  const { limits, defaults } = settings
  const [values, setValues] = useState<Record<Field, string>>(() => ({
    attemptsDays: String(settings.attemptsDays),
    leadEventsIdleMonths: String(settings.leadEventsIdleMonths),
    auditMonths: String(settings.auditMonths),
  }))
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({})
  const [status, setStatus] = useState<FormStatus>()
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setStatus(undefined)
    const found: Partial<Record<Field, string>> = {}
    const parsed = {} as Record<Field, number>
    for (const { field, unit } of fields) {
      const number = Number(values[field].trim())
      const { min, max } = limits[field]
      if (values[field].trim() === '' || !Number.isInteger(number) || number < min || number > max)
        found[field] = `Enter a whole number of ${unit} from ${min} to ${max}`
      else parsed[field] = number
    }
    setErrors(found)
    if (Object.keys(found).length > 0) return
    setBusy(true)
    try {
      await api.putRetention(parsed)
      setStatus({ ok: true, text: 'Saved. The next retention run (within the hour) applies it.' })
      onSaved()
    } catch (error) {
      if (error instanceof ApiError && error.field && error.field in limits)
        setErrors({ [error.field as Field]: error.message })
      else setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="retention-title">
      <h2 id="retention-title">Retention</h2>
      <p className="hint">
        How long Leadrelay keeps records that hold personal data. The worker applies these every hour, a little at a
        time, without holding up incoming leads.{' '}
        {settings.updatedAt ? `Last changed ${formatTime(settings.updatedAt)}.` : 'These are the defaults.'}
      </p>
      <form className="form" onSubmit={submit} noValidate>
        {fields.map(({ field, label, unit, help }) => (
          <div className="field" key={field}>
            <label htmlFor={`retention-${field}`}>
              {label} <span className="optional">({unit})</span>
            </label>
            <input
              id={`retention-${field}`}
              type="number"
              inputMode="numeric"
              min={limits[field].min}
              max={limits[field].max}
              step={1}
              value={values[field]}
              disabled={!canEdit}
              aria-invalid={errors[field] ? true : undefined}
              aria-describedby={`retention-${field}-help${errors[field] ? ` retention-${field}-error` : ''}`}
              onChange={(event) => setValues({ ...values, [field]: event.target.value })}
            />
            <p className="hint" id={`retention-${field}-help`}>
              {help} Default {defaults[field]} {unit}.
            </p>
            {errors[field] && (
              <p className="field-error" id={`retention-${field}-error`}>
                {errors[field]}
              </p>
            )}
          </div>
        ))}
        {canEdit && (
          <FormActions busy={busy} status={status}>
            {busy ? 'Saving…' : 'Save retention'}
          </FormActions>
        )}
      </form>
    </section>
  )
}
