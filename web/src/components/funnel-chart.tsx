/**
 * The funnel report as plain SVG bars: how many customers reached each step (trial → initial interest → active →
 * customer → churned), the conversion between steps and to customer from each earlier step, where leads stopped, and the same by source. Every chart has a table beside it with
 * the exact figures, for screen readers and for copying.
 */

import {
  type FunnelOverTime,
  type FunnelReport,
  type FunnelStep,
  funnelSteps,
  type Stage,
  timeStages,
} from '../api/types.ts'
import { formatPercent, plural, stageLabel } from '../lib/format.ts'

/** "Where customers are now", furthest first: a suspended subscription sits between customer and churned. */
const furthestStages: readonly Stage[] = ['churned', 'suspended', 'customer', 'active', 'initial_interest', 'trial']

/** The by-source columns: every stage an event can have except unclassified. */
const sourceStages: readonly Stage[] = [
  'trial',
  'initial_interest',
  'active',
  'customer',
  'suspended',
  'churned',
  'do_not_contact',
]

const barArea = { left: 150, width: 380, row: 34, bar: 22 }

interface Bar {
  readonly key: string
  readonly label: string
  readonly count: number
  readonly stage: Stage
  /** A note under the bar, e.g. the conversion to the next step. */
  readonly note?: string
}

function widthOf(count: number, max: number): number {
  if (count <= 0 || max <= 0) return 0
  return Math.max(2, (count / max) * barArea.width)
}

function Bars({ id, title, bars }: { id: string; title: string; bars: readonly Bar[] }) {
  const max = Math.max(0, ...bars.map((bar) => bar.count))
  const noteRows = bars.filter((bar) => bar.note).length
  const height = bars.length * barArea.row + noteRows * 18 + 8
  let y = 4
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${barArea.left + barArea.width + 70} ${height}`}
      role="img"
      aria-labelledby={`${id}-title`}
      preserveAspectRatio="xMinYMin meet"
    >
      <title id={`${id}-title`}>
        {title}: {bars.map((bar) => `${bar.label} ${bar.count}`).join(', ')}
      </title>
      {bars.map((bar) => {
        const top = y
        y += barArea.row + (bar.note ? 18 : 0)
        const width = widthOf(bar.count, max)
        return (
          <g key={bar.key} className="bar" data-stage={bar.stage} data-count={bar.count}>
            <text x={barArea.left - 10} y={top + barArea.bar / 2 + 5} textAnchor="end" className="bar-label">
              {bar.label}
            </text>
            <rect x={barArea.left} y={top} width={barArea.width} height={barArea.bar} rx={4} className="bar-track" />
            <rect
              x={barArea.left}
              y={top}
              width={width}
              height={barArea.bar}
              rx={4}
              className={`bar-fill fill-${bar.stage}`}
            />
            <text x={barArea.left + width + 8} y={top + barArea.bar / 2 + 5} className="bar-count">
              {bar.count}
            </text>
            {bar.note && (
              <text x={barArea.left} y={top + barArea.bar + 16} className="bar-note">
                {bar.note}
              </text>
            )}
          </g>
        )
      })}
    </svg>
  )
}

/** The note under a step's bar: how many went on to the next step (for customers: how many left). */
function stepNote(step: FunnelStep, rate: number | null): string {
  if (step === 'customer') return `↓ ${formatPercent(rate)} of them churned`
  const next = funnelSteps[funnelSteps.indexOf(step) + 1]
  return next ? `↓ ${formatPercent(rate)} went on to ${stageLabel(next).toLowerCase()}` : ''
}

/** Steps before customer, each with the share of its customers who bought (the "Became customers" column). */
const buyingSteps: readonly FunnelStep[] = ['trial', 'initial_interest', 'active']

export function FunnelChart({ report }: { report: FunnelReport }) {
  const rateOf = (from: string, to: string) =>
    report.conversion.find((entry) => entry.from === from && entry.to === to)?.rate ?? null
  const steps: Bar[] = funnelSteps.map((step, index) => {
    const next = funnelSteps[index + 1]
    return {
      key: step,
      label: stageLabel(step),
      count: report.reached[step] ?? 0,
      stage: step,
      // No note while nobody reached the step: "— went on" says nothing.
      ...(next && rateOf(step, next) !== null && { note: stepNote(step, rateOf(step, next)) }),
    }
  })
  // A do-not-contact notice is not a funnel step: customers whose only events are notices have no step yet. The
  // notices themselves are counted the way the by-source table counts them (report.withEvent).
  const furthest: Bar[] = [
    ...furthestStages.map((stage) => ({
      key: stage,
      label: stageLabel(stage),
      count: report.stages[stage] ?? 0,
      stage,
    })),
    {
      key: 'none',
      label: 'No step yet',
      count: report.stages.unclassified + report.stages.do_not_contact,
      stage: 'unclassified',
    },
  ]
  const doNotContact = report.withEvent?.do_not_contact ?? 0

  return (
    <div className="funnel">
      <figure className="card" aria-labelledby="funnel-reached-caption">
        <figcaption id="funnel-reached-caption">
          <h2>Trial → initial interest → active → customer</h2>
          <p className="hint">
            Trial: customers whose first test drive was in the period. Initial interest, active and customer: of the
            customers who first came in the period, those who reached the step or a later one (a suspended or cancelled
            subscription was a customer first). Churned: those whose subscription is cancelled now. Test leads not
            counted.
          </p>
        </figcaption>
        <Bars id="funnel-reached" title="Customers reaching each step" bars={steps} />
        <table className="table compact">
          <caption className="visually-hidden">Funnel figures</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Customers</th>
              <th scope="col">Went on to the next step</th>
              <th scope="col">Became customers</th>
            </tr>
          </thead>
          <tbody>
            {funnelSteps.map((step, index) => {
              const next = funnelSteps[index + 1]
              return (
                <tr key={step}>
                  <th scope="row">{stageLabel(step)}</th>
                  <td data-label="Customers">{report.reached[step] ?? 0}</td>
                  <td data-label="Went on">
                    {next === undefined
                      ? '—'
                      : step === 'customer'
                        ? rateOf(step, next) === null
                          ? '—'
                          : `${formatPercent(rateOf(step, next))} churned`
                        : formatPercent(rateOf(step, next))}
                  </td>
                  <td data-label="Became customers">
                    {buyingSteps.includes(step) ? formatPercent(rateOf(step, 'customer')) : '—'}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </figure>

      <figure className="card" aria-labelledby="funnel-furthest-caption">
        <figcaption id="funnel-furthest-caption">
          <h2>Where customers are now</h2>
          <p className="hint">
            {report.leads} {report.leads === 1 ? 'customer' : 'customers'} who first came in the period, by the furthest
            stage each has reached.
          </p>
        </figcaption>
        <Bars id="funnel-furthest" title="Customers by furthest stage" bars={furthest} />
        <p className="dnc-total">
          <strong>Do not contact:</strong> {plural(doNotContact, 'customer')} got their first do-not-contact notice in
          the period (every source; the by-source table counts them per source).
        </p>
      </figure>

      {report.overTime && report.overTime.buckets.length > 0 && <OverTimeChart overTime={report.overTime} />}

      <figure className="card by-source" aria-labelledby="funnel-sources-caption">
        <figcaption id="funnel-sources-caption">
          <h2>By source</h2>
          <p className="hint">
            Customers who first reached each stage in the period, by the marketplace source of that first event.
          </p>
        </figcaption>
        {report.bySource.length === 0 ? (
          <p>No leads from any source in this period.</p>
        ) : (
          <>
            {report.bySource.map((row) => (
              <div className="source-chart" key={row.source}>
                <h3>{row.source}</h3>
                <Bars
                  id={`funnel-source-${row.source.replace(/[^A-Za-z0-9_-]/g, '-')}`}
                  title={`${row.source} by stage`}
                  bars={sourceStages.map((stage) => ({
                    key: stage,
                    label: stageLabel(stage),
                    count: row.stages[stage],
                    stage,
                  }))}
                />
              </div>
            ))}
            <table className="table compact">
              <caption className="visually-hidden">Figures by source</caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  {sourceStages.map((stage) => (
                    <th scope="col" key={stage}>
                      {stageLabel(stage)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {report.bySource.map((row) => (
                  <tr key={row.source}>
                    <th scope="row">{row.source}</th>
                    {sourceStages.map((stage) => (
                      <td key={stage} data-label={stageLabel(stage)}>
                        {row.stages[stage]}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
              {report.withEvent && (
                <tfoot>
                  <tr>
                    <th scope="row">All sources</th>
                    {sourceStages.map((stage) => (
                      <td key={stage} data-label={stageLabel(stage)}>
                        {report.withEvent?.[stage]}
                      </td>
                    ))}
                  </tr>
                </tfoot>
              )}
            </table>
            <p className="hint">
              A customer with events from two sources counts once in each, and once in All sources.
            </p>
          </>
        )}
      </figure>
    </div>
  )
}

const timeArea = { left: 44, top: 12, width: 600, height: 160, bottom: 28 }

function bucketLabel(start: string, unit: FunnelOverTime['unit']): string {
  const date = new Date(start)
  // Buckets start at the portal's local midnights (the period's start), so they are read in the local zone.
  const day = date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
  return unit === 'week' ? `Week of ${day}` : day
}

/** Customers per day or week as columns, with the figures per stage in a table beside it. */
export function OverTimeChart({ overTime }: { overTime: FunnelOverTime }) {
  const { buckets, unit } = overTime
  const max = Math.max(1, ...buckets.map((bucket) => bucket.leads))
  const step = timeArea.width / buckets.length
  const barWidth = Math.max(1, step * 0.7)
  const total = buckets.reduce((sum, bucket) => sum + bucket.leads, 0)
  const busiest = buckets.reduce((best, bucket) => (bucket.leads > best.leads ? bucket : best), buckets[0]!)
  const every = Math.ceil(buckets.length / 8)
  const per = unit === 'day' ? 'day' : 'week'
  return (
    <figure className="card over-time" aria-labelledby="funnel-time-caption">
      <figcaption id="funnel-time-caption">
        <h2>Leads over time</h2>
        <p className="hint">
          New customers each {per}, and customers reaching each stage for the first time; test leads excluded.
        </p>
      </figcaption>
      <svg
        className="chart"
        viewBox={`0 0 ${timeArea.left + timeArea.width + 8} ${timeArea.top + timeArea.height + timeArea.bottom}`}
        role="img"
        aria-labelledby="funnel-time-title funnel-time-desc"
        preserveAspectRatio="xMinYMin meet"
      >
        <title id="funnel-time-title">Customers per {per}</title>
        <desc id="funnel-time-desc">
          {buckets.length} {per}s from {bucketLabel(buckets[0]!.start, unit)} to{' '}
          {bucketLabel(buckets[buckets.length - 1]!.start, unit)}; busiest {bucketLabel(busiest.start, unit)} with{' '}
          {plural(busiest.leads, 'customer')}. The table below has every figure.
        </desc>
        <line
          x1={timeArea.left}
          x2={timeArea.left + timeArea.width}
          y1={timeArea.top + timeArea.height}
          y2={timeArea.top + timeArea.height}
          className="axis"
        />
        <text x={timeArea.left - 6} y={timeArea.top + 5} textAnchor="end" className="bar-note">
          {max}
        </text>
        <text x={timeArea.left - 6} y={timeArea.top + timeArea.height} textAnchor="end" className="bar-note">
          0
        </text>
        {buckets.map((bucket, index) => {
          const height = (bucket.leads / max) * timeArea.height
          const x = timeArea.left + index * step + (step - barWidth) / 2
          return (
            <g key={bucket.start} className="time-bar" data-start={bucket.start} data-count={bucket.leads}>
              <rect
                x={x}
                y={timeArea.top + timeArea.height - height}
                width={barWidth}
                height={height}
                className="fill-initial_interest"
              />
              {index % every === 0 && (
                <text
                  x={x + barWidth / 2}
                  y={timeArea.top + timeArea.height + 18}
                  textAnchor="middle"
                  className="bar-note"
                >
                  {bucketLabel(bucket.start, unit)}
                </text>
              )}
            </g>
          )
        })}
      </svg>
      <details>
        <summary>
          Figures per {per} ({plural(total, 'customer')} in all, counted once per {per})
        </summary>
        <table className="table compact">
          <caption className="visually-hidden">Customers per {per}</caption>
          <thead>
            <tr>
              <th scope="col">{unit === 'day' ? 'Day' : 'Week'}</th>
              <th scope="col">Customers</th>
              {timeStages.map((stage) => (
                <th scope="col" key={stage}>
                  {stageLabel(stage)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {buckets.map((bucket) => (
              <tr key={bucket.start}>
                <th scope="row">{bucketLabel(bucket.start, unit)}</th>
                <td data-label="Customers">{bucket.leads}</td>
                {timeStages.map((stage) => (
                  <td key={stage} data-label={stageLabel(stage)}>
                    {bucket.stages[stage]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}
