/** Which alerts a lead set off: rule, channel, stage, and whether each went out (with a replay for failed ones). */

import { useState } from 'react'
import type { AlertSend } from '../api/alert-types.ts'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { formatTime, stageLabel } from '../lib/format.ts'
import { Link } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'
import { describeError } from './ui.tsx'

const stateLabels: Readonly<Record<AlertSend['state'], string>> = {
  queued: 'Waiting to be sent',
  in_flight: 'Sending',
  delivered: 'Sent',
  dead: 'Gave up',
}

function whatHappened(send: AlertSend): string {
  if (send.state === 'delivered') return `Sent ${formatTime(send.sentAt)}`
  const error = send.lastError ? `: ${send.lastError}` : ''
  if (send.state === 'dead') return `Gave up after ${send.attempts} attempts${error}`
  if (send.state === 'queued' && send.attempts > 0) return `Retrying ${formatTime(send.nextAttemptAt)}${error}`
  return stateLabels[send.state]
}

export function LeadAlerts({ leadId }: { leadId: string }) {
  const api = useApi()
  const canReplay = useCan('editor')
  const alerts = useLoad(`lead-alerts-${leadId}`, () => api.leadAlerts(leadId))
  const [error, setError] = useState<string>()

  return (
    <section aria-labelledby="lead-alerts-title">
      <h2 id="lead-alerts-title">Alerts</h2>
      {(error !== undefined || alerts.error !== undefined) && (
        <p className="notice notice-error" role="alert">
          {error ?? describeError(alerts.error)}
        </p>
      )}
      {alerts.data && alerts.data.items.length === 0 && (
        <p className="empty-inline">
          No alert went out for this lead. <Link to="/alerts">Alert rules</Link> tell Teams, Slack or email when a lead
          reaches a stage.
        </p>
      )}
      {alerts.data && alerts.data.items.length > 0 && (
        <ul className="lead-alerts" aria-label="Alerts for this lead">
          {alerts.data.items.map((send) => (
            <li key={send.id}>
              <strong>{send.ruleName ?? 'Deleted rule'}</strong> → {send.channelName ?? send.channelId} · reached{' '}
              {stageLabel(send.stage)} {formatTime(send.firedAt)} · {whatHappened(send)}
              {canReplay && (send.state === 'dead' || send.state === 'delivered') && (
                <>
                  {' '}
                  <button
                    type="button"
                    onClick={async () => {
                      setError(undefined)
                      try {
                        await api.replayAlertSend(send.id)
                        alerts.reload()
                      } catch (caught) {
                        setError(describeError(caught))
                      }
                    }}
                  >
                    Send again
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
