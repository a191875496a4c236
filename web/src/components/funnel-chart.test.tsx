import { render, screen, within } from '@testing-library/react'
import { expect, test } from 'vitest'
import { type Stage, stages } from '../api/types.ts'
import { knownReport } from '../test/fixtures.ts'
import { FunnelChart } from './funnel-chart.tsx'

/** Every stage at zero. */
const noLeads = Object.fromEntries(stages.map((stage) => [stage, 0])) as Record<Stage, number>

function barsOf(chart: HTMLElement) {
  return [...chart.querySelectorAll('g.bar')].map((bar) => ({
    stage: bar.getAttribute('data-stage'),
    count: Number(bar.getAttribute('data-count')),
    label: bar.querySelector('.bar-count')?.textContent,
    width: Number(bar.querySelector('.bar-fill')?.getAttribute('width')),
  }))
}

test('the funnel chart draws the counts of a known report, scaled to the largest, up to customer and churned', () => {
  render(<FunnelChart report={knownReport} />)
  const funnel = screen.getByRole('img', { name: /Customers reaching each step/ })
  const bars = barsOf(funnel)
  expect(bars.map(({ stage, count, label }) => [stage, count, label])).toEqual([
    ['trial', 5, '5'],
    ['initial_interest', 9, '9'],
    ['active', 6, '6'],
    ['customer', 4, '4'],
    ['churned', 1, '1'],
  ])
  // Widths are proportional: the biggest bar fills the track.
  expect(bars[1]!.width).toBeCloseTo(380)
  expect(bars[0]!.width).toBeCloseTo((380 * 5) / 9)
  expect(bars[3]!.width).toBeCloseTo((380 * 4) / 9)
  // Conversion between steps, on the chart and in the table.
  expect(within(funnel).getByText('↓ 80% went on to initial interest')).toBeTruthy()
  expect(within(funnel).getByText('↓ 66.7% went on to active')).toBeTruthy()
  expect(within(funnel).getByText('↓ 66.7% went on to customer')).toBeTruthy()
  expect(within(funnel).getByText('↓ 25% of them churned')).toBeTruthy()
  const table = screen.getByRole('table', { name: 'Funnel figures' })
  const rows = within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent))
  // The last column: conversion to customer from each earlier step.
  expect(rows).toEqual([
    ['Trial', '5', '80%', '40%'],
    ['Initial interest', '9', '66.7%', '44.4%'],
    ['Active', '6', '66.7%', '66.7%'],
    ['Customer', '4', '25% churned', '—'],
    ['Churned', '1', '—', '—'],
  ])
})

test('where customers are now: churned, suspended and customer first, then the steps, then no step yet', () => {
  render(<FunnelChart report={knownReport} />)
  const chart = screen.getByRole('img', { name: /Customers by furthest stage/ })
  expect(barsOf(chart).map(({ stage, count }) => [stage, count])).toEqual([
    ['churned', 1],
    ['suspended', 1],
    ['customer', 2],
    ['active', 2],
    ['initial_interest', 3],
    ['trial', 2],
    ['unclassified', 1],
  ])
  expect(screen.getByText(/12 customers who first came in the period/)).toBeTruthy()
})

test('do not contact: the same figure as the by-source table total, not the furthest-stage count', () => {
  const report = {
    ...knownReport,
    // Three notices in the period, but every one of those customers had reached a funnel step before.
    stages: { ...knownReport.stages, do_not_contact: 0, trial: 3 },
    withEvent: { ...knownReport.withEvent!, do_not_contact: 3 },
  }
  render(<FunnelChart report={report} />)
  expect(screen.getByText(/3 customers got their first do-not-contact notice in the period/)).toBeTruthy()
  const table = screen.getByRole('table', { name: 'Figures by source' })
  expect(within(table).getByRole('row', { name: /All sources/ }).textContent).toBe('All sources5643113')
})

test('leads over time: one column per day scaled to the busiest, every figure in the table', () => {
  render(<FunnelChart report={knownReport} />)
  const chart = screen.getByRole('img', { name: /Customers per day/ })
  const columns = [...chart.querySelectorAll('g.time-bar')].map((bar) => ({
    count: Number(bar.getAttribute('data-count')),
    height: Number(bar.querySelector('rect')?.getAttribute('height')),
  }))
  expect(columns.map((column) => column.count)).toEqual([6, 0, 4])
  expect(columns[0]!.height).toBeCloseTo(160)
  expect(columns[1]!.height).toBe(0)
  expect(columns[2]!.height).toBeCloseTo((160 * 4) / 6)
  const table = screen.getByRole('table', { name: 'Customers per day' })
  const rows = within(table).getAllByRole('row').slice(1)
  expect(rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent))).toEqual([
    ['6', '3', '4', '1', '0', '0', '0'],
    ['0', '0', '0', '0', '0', '0', '0'],
    ['4', '2', '2', '3', '2', '1', '1'],
  ])
})

test('by source: one chart per source and a table with the same figures', () => {
  render(<FunnelChart report={knownReport} />)
  const azure = screen.getByRole('img', { name: /AzureMarketplace by stage/ })
  expect(barsOf(azure).map(({ stage, count }) => [stage, count])).toEqual([
    ['trial', 5],
    ['initial_interest', 4],
    ['active', 3],
    ['customer', 0],
    ['suspended', 0],
    ['churned', 0],
    ['do_not_contact', 1],
  ])
  const appSource = screen.getByRole('img', { name: /AppSource by stage/ })
  expect(barsOf(appSource).map(({ count }) => count)).toEqual([0, 2, 1, 0, 0, 0, 0])
  // Subscriptions start leads of their own under AzurePortal: customer, suspended and churned per source.
  const portal = screen.getByRole('img', { name: /AzurePortal by stage/ })
  expect(barsOf(portal).map(({ count }) => count)).toEqual([0, 0, 0, 3, 1, 1, 0])
  const table = screen.getByRole('table', { name: 'Figures by source' })
  expect(within(table).getByRole('row', { name: /AzureMarketplace/ }).textContent).toBe('AzureMarketplace5430001')
})

test('an empty report draws empty bars and says there is no source', () => {
  render(
    <FunnelChart
      report={{
        leads: 0,
        stages: noLeads,
        reached: { trial: 0, initial_interest: 0, active: 0, customer: 0, churned: 0 },
        withEvent: noLeads,
        conversion: [
          { from: 'trial', to: 'initial_interest', rate: null },
          { from: 'initial_interest', to: 'active', rate: null },
          { from: 'active', to: 'customer', rate: null },
          { from: 'customer', to: 'churned', rate: null },
        ],
        bySource: [],
      }}
    />,
  )
  const funnel = screen.getByRole('img', { name: /Customers reaching each step/ })
  expect(barsOf(funnel).map((bar) => bar.width)).toEqual([0, 0, 0, 0, 0])
  // Nobody reached a step, so nothing "went on": no note under any bar, a dash in the table.
  expect(funnel.querySelectorAll('.bar-note')).toHaveLength(0)
  const customerRow = within(screen.getByRole('table', { name: 'Funnel figures' })).getByRole('row', {
    name: /^Customer/,
  })
  expect([...customerRow.querySelectorAll('td')].map((cell) => cell.textContent)).toEqual(['0', '—', '—'])
  expect(screen.getByText('No leads from any source in this period.')).toBeTruthy()
})
