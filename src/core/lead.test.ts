import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import type { RawCustomer } from './customer.ts'
import { createActionMeanings } from './funnel.ts'
import { type InboundFormat, type IncomingLead, parseInboundLead } from './inbound.ts'
import {
  applyEvent,
  contentHashOf,
  foldRecordedEvents,
  interpretLead,
  type LeadEventDraft,
  type LeadState,
  mergeKeyOf,
  type RecordedEvent,
} from './lead.ts'

const receivedAt = Date.UTC(2026, 0, 1, 12)
const ticks = 'MSFT_TEST_636573304831318844'

function incoming(fields: Partial<IncomingLead> & { customer?: RawCustomer }): IncomingLead {
  return { format: 'microsoft', extra: {}, customer: {}, ...fields }
}

/** A lead event as the ingest path builds it: body → parseInboundLead → interpretLead. */
function eventFrom(body: Record<string, unknown>, at = receivedAt): LeadEventDraft {
  return interpretLead(parseInboundLead(body, 'microsoft'), { receivedAt: at })
}

/** One marketplace action by a customer at a given time. */
function event(leadSource: string, occurredAt: number, customer: RawCustomer = {}): LeadEventDraft {
  return interpretLead(incoming({ leadSource, occurredAt, customer }), { receivedAt: occurredAt + 1000 })
}

function fold(events: readonly LeadEventDraft[]): LeadState {
  let state: LeadState | undefined
  for (const e of events) state = applyEvent(state, e)
  if (!state) throw new Error('no events')
  return state
}

const t1 = Date.UTC(2026, 0, 1, 9)
const t2 = Date.UTC(2026, 0, 2, 9)
const t3 = Date.UTC(2026, 0, 3, 9)
const t4 = Date.UTC(2026, 0, 4, 9)

const email = 'jsmith@microsoft.com'

describe('interpretLead', () => {
  test("Microsoft's HTTPS example: source from LeadSource, action from ActionCode, offer from OfferTitle", () => {
    const draft = eventFrom({
      UserDetails: {
        FirstName: 'Some',
        LastName: 'One',
        Email: 'someone@contoso.com',
        Phone: '16175555555',
        Country: 'USA',
        Company: 'Contoso',
        Title: 'Esquire',
      },
      LeadSource: 'AzureMarketplace',
      ActionCode: 'INS',
      OfferTitle: 'Test Microsoft',
      Description: 'Test run through Power Automate',
    })
    expect(draft).toStrictEqual({
      format: 'microsoft',
      receivedAt,
      occurredAt: receivedAt,
      leadSource: 'AzureMarketplace',
      source: 'AzureMarketplace',
      action: 'INS',
      stage: 'initial_interest',
      byCustomer: true,
      offerRef: 'Test Microsoft',
      offerTitle: 'Test Microsoft',
      description: 'Test run through Power Automate',
      customer: {
        firstName: 'Some',
        lastName: 'One',
        email: 'someone@contoso.com',
        phone: '16175555555',
        phoneDigits: '16175555555',
        country: 'US',
        company: 'Contoso',
        title: 'Esquire',
      },
      invalid: {},
      isTest: false,
      extra: {},
    })
  })

  test('an Azure Table entity: ProductId is the offer, CreatedTime is when it happened', () => {
    const draft = interpretLead(
      parseInboundLead(
        {
          ProductId: 'redhat.openshift-container-platform',
          LeadSource: 'AzureMarketplace-StartTestDrive|Red Hat OpenShift Container Platform',
          OfferDisplayName: 'Red Hat OpenShift Container Platform',
          CustomerInfo: JSON.stringify({ Email: 'JSmith@Microsoft.com', Country: 'United States' }),
          CreatedTime: '2018-09-28T10:00:00Z',
          RowKey: 'r1',
        },
        'azure-table',
      ),
      { receivedAt },
    )
    expect(draft).toMatchObject({
      format: 'azure-table',
      source: 'AzureMarketplace',
      action: 'StartTestDrive',
      stage: 'trial',
      byCustomer: true,
      offerRef: 'redhat.openshift-container-platform',
      offerTitle: 'Red Hat OpenShift Container Platform',
      occurredAt: Date.UTC(2018, 8, 28, 10),
      receivedAt,
      customer: { email: 'jsmith@microsoft.com', country: 'US' },
      extra: { RowKey: 'r1' },
      isTest: false,
    })
  })

  test.each<[string, string, string, string, string]>([
    [
      'AzureMarketplace-INS|bitnami.openedxcypress',
      'AzureMarketplace',
      'INS',
      'initial_interest',
      'bitnami.openedxcypress',
    ],
    [
      'SPZA-PLT|checkpoint.check-point-r77-10sg-byol',
      'AppSource',
      'PLT',
      'active',
      'checkpoint.check-point-r77-10sg-byol',
    ],
    ['AppSource (SPZA)-DNC|Contoso - CRM', 'AppSource', 'DNC', 'do_not_contact', 'Contoso - CRM'],
    [
      'azureportal-create|docusign.3701c77e-1cfa-4c56-91e6-3ed0b622145a',
      'AzurePortal',
      'Create',
      'active',
      'docusign.3701c77e-1cfa-4c56-91e6-3ed0b622145a',
    ],
    ['TestDrive-StartTestDrive|Red Hat OpenShift', 'TestDrive', 'StartTestDrive', 'trial', 'Red Hat OpenShift'],
    [
      'AzureMarketplace-SubscribeSaaS|contoso.saas',
      'AzureMarketplace',
      'SubscribeSaaS',
      'unclassified',
      'contoso.saas',
    ],
    ['AzurePortal-Erstellen|contoso.vm', 'AzurePortal', 'Erstellen', 'unclassified', 'contoso.vm'],
  ])('%s → %s / %s / %s / offer %s', (leadSource, source, action, stage, offerRef) => {
    const draft = interpretLead(incoming({ leadSource }), { receivedAt })
    expect(draft).toMatchObject({ leadSource, source, action, stage, offerRef, offerTitle: offerRef })
  })

  test('ActionCode is canonicalised when LeadSource carries no action', () => {
    const draft = interpretLead(incoming({ leadSource: 'AzureMarketplace', action: ' create ' }), { receivedAt })
    expect(draft.action).toBe('Create')
    expect(draft.stage).toBe('active')
  })

  test('an explicit source field is canonicalised and used', () => {
    const draft = interpretLead(incoming({ source: 'spza', action: 'plt', offer: 'contoso.app' }), { receivedAt })
    expect(draft).toMatchObject({ source: 'AppSource', action: 'PLT', stage: 'active', offerRef: 'contoso.app' })
    expect(draft).not.toHaveProperty('offerTitle')
    expect(draft).not.toHaveProperty('leadSource')
  })

  test('configured action meanings are used', () => {
    const actionMeanings = createActionMeanings({ INS: 'active', SubscribeSaaS: 'trial' })
    const ins = interpretLead(incoming({ leadSource: 'AzureMarketplace-INS|a.b' }), { receivedAt, actionMeanings })
    const saas = interpretLead(incoming({ leadSource: 'AzureMarketplace-SubscribeSaaS|a.b' }), {
      receivedAt,
      actionMeanings,
    })
    expect(ins).toMatchObject({ stage: 'active', byCustomer: true })
    expect(saas).toMatchObject({ stage: 'trial', byCustomer: true })
  })

  test('the offer reference prefers ProductId, then offer, then the LeadSource offer, then OfferTitle', () => {
    const all = { productId: 'p.id', offer: 'o.id', leadSource: 'SPZA-INS|ls.offer', offerTitle: 'Title' }
    expect(interpretLead(incoming(all), { receivedAt }).offerRef).toBe('p.id')
    expect(interpretLead(incoming({ ...all, productId: undefined }), { receivedAt }).offerRef).toBe('o.id')
    expect(interpretLead(incoming({ leadSource: all.leadSource, offerTitle: 'Title' }), { receivedAt }).offerRef).toBe(
      'ls.offer',
    )
    expect(
      interpretLead(incoming({ leadSource: 'AzureMarketplace', offerTitle: 'Title' }), { receivedAt }).offerRef,
    ).toBe('Title')
  })

  test('an invalid email is kept aside and not used', () => {
    const draft = interpretLead(incoming({ leadSource: 'SPZA-INS|a.b', customer: { email: 'Not An Email' } }), {
      receivedAt,
    })
    expect(draft.customer).not.toHaveProperty('email')
    expect(draft.invalid).toEqual({ email: 'Not An Email' })
  })

  test('eventId, description and extra pass through', () => {
    const draft = interpretLead(
      incoming({ eventId: 'e-1', leadSource: 'a', description: 'Campaigns: x', extra: { oid: '00D' } }),
      { receivedAt },
    )
    expect(draft).toMatchObject({ eventId: 'e-1', description: 'Campaigns: x', extra: { oid: '00D' } })
  })

  test.each<[string, Record<string, unknown>]>([
    [
      'the LM-FAQ JSON test lead',
      {
        userDetails: {
          FirstName: ticks,
          LastName: ticks,
          Email: `${ticks}@test.com`,
          Phone: '1234567890',
          Country: 'US',
          Company: ticks,
          Title: ticks,
        },
        LeadSource: 'AzureMarketplace',
        ActionCode: 'INS',
        OfferTitle: 'Contoso Test',
        Description: ticks,
      },
    ],
    ['the form-post test lead source', { LeadSource: `${ticks}-${ticks}|<Offer Name>` }],
    ['only the test email', { LeadSource: 'SPZA-INS|a.b', CustomerInfo: { Email: `${ticks}@test.com` } }],
    ['only the description', { LeadSource: 'SPZA-INS|a.b', Description: ticks }],
    ["Leadrelay's own marker", { LeadSource: 'SPZA-INS|a.b', CustomerInfo: { Company: 'LEADRELAY_TEST_1' } }],
  ])('%s is a test lead', (_name, body) => {
    expect(eventFrom(body).isTest).toBe(true)
  })

  test('the form-post test lead keeps its marker as source and action, unclassified', () => {
    const draft = interpretLead(incoming({ leadSource: `${ticks}-${ticks}|<Offer Name>` }), { receivedAt })
    expect(draft).toMatchObject({ source: ticks, action: ticks, stage: 'unclassified', offerRef: '<Offer Name>' })
  })

  test('an ordinary lead is not a test lead', () => {
    const draft = eventFrom({
      LeadSource: 'AzureMarketplace-INS|contoso.app',
      CustomerInfo: { FirstName: 'John', Email: email, Company: 'Test Microsoft' },
      Description: 'Test run through MS Flow',
    })
    expect(draft.isTest).toBe(false)
  })
})

describe('interpretLead: a time that cannot be stored', () => {
  test('the receive time is used and the time as sent is kept among the unused values', () => {
    const draft = eventFrom({ LeadSource: 'AzureMarketplace-INS|contoso.app', CreatedTime: 9e15 })
    expect(draft.occurredAt).toBe(receivedAt)
    expect(draft.invalid).toStrictEqual({ occurredAt: '9000000000000000' })
  })

  test('alongside an unusable customer value', () => {
    const draft = eventFrom({ CreatedTime: 1.5, UserDetails: { Email: 'not an email' } })
    expect(draft.occurredAt).toBe(receivedAt)
    expect(draft.invalid).toStrictEqual({ email: 'not an email', occurredAt: '1.5' })
  })
})

describe('mergeKeyOf', () => {
  test.each<[string, RawCustomer, string | undefined]>([
    ['email', { email }, `email:${email}`],
    ['email wins over phone', { email, phone: '1234567890' }, `email:${email}`],
    ['email is lower-cased first', { email: 'JSmith@Microsoft.COM' }, `email:${email}`],
    ['phone digits when there is no email', { phone: '+1 (617) 555-5555' }, 'phone:16175555555'],
    ['phone digits when the email is invalid', { email: 'not an email', phone: '1234567890' }, 'phone:1234567890'],
    ['six digits are enough', { phone: '12-34-56' }, 'phone:123456'],
    ['five digits are not', { phone: '12345' }, undefined],
    ['a phone without digits is not', { phone: 'n/a' }, undefined],
    ['neither', { firstName: 'John', lastName: 'Smith', company: 'Microsoft' }, undefined],
    ['nothing at all', {}, undefined],
  ])('%s', (_name, raw, key) => {
    const draft = interpretLead(incoming({ leadSource: 'a', customer: raw }), { receivedAt })
    expect(mergeKeyOf(draft.customer)).toBe(key)
  })

  test('spellings of one customer share a key; different customers do not', () => {
    const keyOf = (raw: RawCustomer) => mergeKeyOf(interpretLead(incoming({ customer: raw }), { receivedAt }).customer)
    expect(keyOf({ email: ' JSMITH@microsoft.com ' })).toBe(keyOf({ email }))
    expect(keyOf({ phone: '+1 617 555 5555' })).toBe(keyOf({ phone: '16175555555' }))
    expect(keyOf({ email: 'someone@contoso.com' })).not.toBe(keyOf({ email }))
    // An email and a phone key never collide, even with the same text.
    expect(keyOf({ phone: '1234567890' })).not.toBe(mergeKeyOf({ email: '1234567890' }))
  })
})

describe('applyEvent: one customer through the funnel', () => {
  const testDrive = event('AzureMarketplace-StartTestDrive|Contoso', t1, {
    firstName: 'John',
    email,
    phone: '111 111 111',
    company: 'Old Name Inc',
    title: 'Engineer',
  })
  const getItNow = event('AzureMarketplace-INS|Contoso', t2, {
    firstName: '',
    lastName: 'Smith',
    email: 'JSMITH@microsoft.com',
    company: 'Microsoft',
    country: 'USA',
  })
  const create = event('AzurePortal-Create|Contoso', t3, {
    email,
    phone: '+1 (222) 222-2222',
    title: 'CTO',
    company: '   ',
  })

  test('StartTestDrive, INS, Create → active, three events, the newest non-empty value of each field', () => {
    expect(fold([testDrive, getItNow, create])).toStrictEqual({
      stage: 'active',
      doNotContact: false,
      customerActedAt: t3,
      isTest: false,
      customer: {
        firstName: 'John',
        lastName: 'Smith',
        email,
        phone: '+1 (222) 222-2222',
        phoneDigits: '12222222222',
        country: 'US',
        company: 'Microsoft',
        title: 'CTO',
      },
      eventCount: 3,
      firstEventAt: t1,
      lastEventAt: t3,
      source: 'AzurePortal',
      action: 'Create',
      reached: {
        trial: { at: t1, source: 'AzureMarketplace' },
        initial_interest: { at: t2, source: 'AzureMarketplace' },
        active: { at: t3, source: 'AzurePortal' },
      },
    })
  })

  test('the stage after each step', () => {
    const afterOne = applyEvent(undefined, testDrive)
    const afterTwo = applyEvent(afterOne, getItNow)
    const afterThree = applyEvent(afterTwo, create)
    expect([afterOne.stage, afterTwo.stage, afterThree.stage]).toEqual(['trial', 'initial_interest', 'active'])
    expect([afterOne.eventCount, afterTwo.eventCount, afterThree.eventCount]).toEqual([1, 2, 3])
  })

  test.each([
    ['Create, INS, StartTestDrive', [create, getItNow, testDrive]],
    ['INS, Create, StartTestDrive', [getItNow, create, testDrive]],
    ['Create, StartTestDrive, INS', [create, testDrive, getItNow]],
    ['StartTestDrive, Create, INS', [testDrive, create, getItNow]],
    ['INS, StartTestDrive, Create', [getItNow, testDrive, create]],
  ])('arriving as %s: same stage, count, times, source and action', (_order, events) => {
    const state = fold(events)
    expect(state).toMatchObject({
      stage: 'active',
      eventCount: 3,
      firstEventAt: t1,
      lastEventAt: t3,
      customerActedAt: t3,
      source: 'AzurePortal',
      action: 'Create',
      doNotContact: false,
    })
    // The newest event's values always win, whenever it arrives.
    expect(state.customer).toMatchObject({ phone: '+1 (222) 222-2222', phoneDigits: '12222222222', title: 'CTO' })
  })

  test('an older event arriving late only fills fields that are still empty', () => {
    const state = fold([create, testDrive])
    expect(state.customer).toStrictEqual({
      firstName: 'John',
      email,
      phone: '+1 (222) 222-2222',
      phoneDigits: '12222222222',
      company: 'Old Name Inc',
      title: 'CTO',
    })
    expect(state).toMatchObject({ firstEventAt: t1, lastEventAt: t3, source: 'AzurePortal', action: 'Create' })
  })

  test('a newer event replaces values, an empty value in it erases nothing', () => {
    const state = fold([
      event('SPZA-INS|a.b', t1, { firstName: 'Jon', company: 'Contoso', country: 'Atlantis' }),
      event('SPZA-PLT|a.b', t2, { firstName: 'John', company: '', country: ' ' }),
    ])
    expect(state.customer).toStrictEqual({ firstName: 'John', company: 'Contoso', country: 'Atlantis' })
  })

  test('phone digits follow the phone they came from', () => {
    const withDigits = event('SPZA-INS|a.b', t1, { phone: '1234567890' })
    const noDigits = event('SPZA-PLT|a.b', t2, { phone: 'ask reception' })
    expect(fold([withDigits, noDigits]).customer).toStrictEqual({ phone: 'ask reception' })
    // Arriving late, the older phone does not replace the newer one, so its digits do not come along either.
    expect(fold([noDigits, withDigits]).customer).toStrictEqual({ phone: 'ask reception' })
    // Filling an empty phone brings its digits.
    const state = fold([event('SPZA-PLT|a.b', t2, { email }), withDigits])
    expect(state.customer).toStrictEqual({ email, phone: '1234567890', phoneDigits: '1234567890' })
  })

  test("each stage remembers its earliest event and that event's source, whatever order events arrive in", () => {
    const late = fold([event('SPZA-INS|a.b', t3, { email }), event('AzureMarketplace-INS|a.b', t1, { email })])
    expect(late.reached).toStrictEqual({ initial_interest: { at: t1, source: 'AzureMarketplace' } })
    // On equal times the event recorded first stays, as a recount ordered by time and arrival finds it.
    const tie = fold([event('SPZA-INS|a.b', t1, { email }), event('AzureMarketplace-INS|a.b', t1, { email })])
    expect(tie.reached.initial_interest).toStrictEqual({ at: t1, source: 'AppSource' })
    const later = fold([event('SPZA-INS|a.b', t1, { email }), event('AzureMarketplace-INS|a.b', t2, { email })])
    expect(later.reached.initial_interest).toStrictEqual({ at: t1, source: 'AppSource' })
  })

  test('events with the same time: the one applied later counts as the newest', () => {
    const state = fold([
      event('SPZA-INS|a.b', t1, { firstName: 'First' }),
      event('SPZA-PLT|a.b', t1, { firstName: 'Second' }),
    ])
    expect(state.customer.firstName).toBe('Second')
    expect(state.action).toBe('PLT')
  })

  test('a single event gives its own state', () => {
    expect(applyEvent(undefined, event('SPZA-PLT|a.b', t2, { email }))).toStrictEqual({
      stage: 'active',
      doNotContact: false,
      customerActedAt: t2,
      isTest: false,
      customer: { email },
      eventCount: 1,
      firstEventAt: t2,
      lastEventAt: t2,
      source: 'AppSource',
      action: 'PLT',
      reached: { active: { at: t2, source: 'AppSource' } },
    })
  })

  test('the state passed in is not changed', () => {
    const before = applyEvent(undefined, testDrive)
    const snapshot = structuredClone(before)
    applyEvent(before, create)
    expect(before).toStrictEqual(snapshot)
  })
})

describe('applyEvent: do not contact', () => {
  const dnc = (at: number) => event('SPZA-DNC|contoso.app', at, { email })
  const ins = (at: number) => event('SPZA-INS|contoso.app', at, { email })

  test('a DNC notice alone', () => {
    const state = fold([dnc(t1)])
    expect(state).toMatchObject({ doNotContact: true, doNotContactAt: t1, stage: 'do_not_contact' })
    expect(state).not.toHaveProperty('customerActedAt')
  })

  test.each<[string, LeadEventDraft[], boolean]>([
    ['DNC then a later INS clears it', [dnc(t1), ins(t2)], false],
    ['INS then a later DNC sets it', [ins(t1), dnc(t2)], true],
    ['a newer INS, then an older DNC arriving late, does not set it', [ins(t2), dnc(t1)], false],
    ['a newer DNC, then an older INS arriving late, stays set', [dnc(t2), ins(t1)], true],
    ['DNC, INS, DNC: the last word is DNC', [dnc(t1), ins(t2), dnc(t3)], true],
    [
      'DNC, INS, DNC, Create: the customer acted last',
      [dnc(t1), ins(t2), dnc(t3), event('AzurePortal-Create|x', t4)],
      false,
    ],
    ['DNC and INS at the same moment: the customer acting wins', [dnc(t1), ins(t1)], false],
    ['a later unknown action is not the customer acting', [dnc(t1), event('SPZA-SubscribeSaaS|contoso.app', t2)], true],
    [
      'a later test-lead action is not the customer acting',
      [dnc(t1), event(`${ticks}-${ticks}|<Offer Name>`, t2)],
      true,
    ],
    ['a later StartTestDrive is the customer acting', [dnc(t1), event('TestDrive-StartTestDrive|x', t2)], false],
    ['a later PLT is the customer acting', [dnc(t1), event('SPZA-PLT|x', t2)], false],
  ])('%s', (_name, events, doNotContact) => {
    expect(fold(events).doNotContact).toBe(doNotContact)
  })

  test('DNC never lowers the stage', () => {
    expect(fold([ins(t1), dnc(t2)]).stage).toBe('initial_interest')
    expect(fold([event('AzurePortal-Create|x', t1), dnc(t2)]).stage).toBe('active')
  })

  test('the newest DNC and customer times are kept, whatever the arrival order', () => {
    const state = fold([dnc(t3), ins(t2), dnc(t1), ins(t1)])
    expect(state).toMatchObject({ doNotContactAt: t3, customerActedAt: t2, doNotContact: true })
  })

  test('an action configured as do_not_contact sets it', () => {
    const actionMeanings = createActionMeanings({ Unsubscribe: 'do_not_contact' })
    const unsubscribe = interpretLead(incoming({ leadSource: 'SPZA-Unsubscribe|x', occurredAt: t2 }), {
      receivedAt,
      actionMeanings,
    })
    expect(fold([ins(t1), unsubscribe]).doNotContact).toBe(true)
  })
})

describe('foldRecordedEvents: two leads of one customer become one', () => {
  /** What the store keeps of a draft, as it reads it back. */
  function recorded(draft: LeadEventDraft): RecordedEvent {
    return {
      receivedAt: draft.receivedAt,
      occurredAt: draft.occurredAt,
      stage: draft.stage,
      customer: draft.customer,
      isTest: draft.isTest,
      ...(draft.source !== undefined && { source: draft.source }),
      ...(draft.action !== undefined && { action: draft.action }),
    }
  }
  const byTime = (a: LeadEventDraft, b: LeadEventDraft) => a.occurredAt - b.occurredAt

  test('the events of both, in time order, make the lead one customer would have had all along', () => {
    // One lead named the offer by id, the other by display name; the same customer, the events interleaved.
    const byId = [
      event('TestDrive-StartTestDrive|contoso.app', t1, { email, firstName: 'John', company: 'Old Name Inc' }),
      event('AzurePortal-Create|contoso.app', t3, { email, phone: '+1 (222) 222-2222' }),
    ]
    const byName = [event('AzureMarketplace-INS|Contoso App', t2, { email, lastName: 'Smith', company: 'Microsoft' })]
    const all = [...byId, ...byName].sort(byTime)
    const merged = foldRecordedEvents(all.map(recorded))
    expect(merged).toStrictEqual(fold(all))
    expect(merged).toMatchObject({
      stage: 'active',
      eventCount: 3,
      firstEventAt: t1,
      lastEventAt: t3,
      action: 'Create',
      customer: { firstName: 'John', lastName: 'Smith', company: 'Microsoft', phoneDigits: '12222222222' },
    })
  })

  test('who acted is told by the stage: a later do-not-contact notice stays, a later action by the customer lifts it', () => {
    const dnc = event('SPZA-DNC|contoso.app', t2, { email })
    expect(foldRecordedEvents([event('SPZA-INS|x', t1, { email }), dnc].map(recorded))).toMatchObject({
      doNotContact: true,
      customerActedAt: t1,
      doNotContactAt: t2,
    })
    expect(foldRecordedEvents([dnc, event('TestDrive-StartTestDrive|x', t3, { email })].map(recorded))).toMatchObject({
      doNotContact: false,
      stage: 'trial',
    })
    expect(foldRecordedEvents([dnc, event('SPZA-SubscribeSaaS|x', t3, { email })].map(recorded))?.doNotContact).toBe(
      true,
    )
  })

  test('no events, no lead', () => {
    expect(foldRecordedEvents([])).toBeUndefined()
  })
})

describe('applyEvent: isTest sticks', () => {
  const test1 = event(`${ticks}-${ticks}|<Offer Name>`, t1, { email })
  const real = event('SPZA-INS|contoso.app', t2, { email, firstName: 'John' })

  test.each<[string, LeadEventDraft[], boolean]>([
    ['a test event then a real one', [test1, real], true],
    ['a real event then a test one', [real, test1], true],
    ['only real events', [real, event('SPZA-PLT|contoso.app', t3, { email })], false],
    ['only a test event', [test1], true],
  ])('%s → %s', (_name, events, isTest) => {
    expect(fold(events).isTest).toBe(isTest)
  })
})

describe('contentHashOf', () => {
  const body = {
    UserDetails: { FirstName: 'Some', LastName: 'One', Email: 'someone@contoso.com' },
    LeadSource: 'AzureMarketplace',
    ActionCode: 'INS',
    tags: [{ a: 1, b: 2 }, 'x'],
  }
  const reordered = {
    tags: [{ b: 2, a: 1 }, 'x'],
    ActionCode: 'INS',
    LeadSource: 'AzureMarketplace',
    UserDetails: { Email: 'someone@contoso.com', LastName: 'One', FirstName: 'Some' },
  }

  test('key order at any depth does not matter', () => {
    expect(contentHashOf('microsoft', reordered)).toBe(contentHashOf('microsoft', body))
  })

  test('it is a base64url SHA-256 of the format and the sorted JSON', () => {
    const expected = createHash('sha256').update('api\n{"a":2,"b":[1,{"c":3,"d":4}]}').digest('base64url')
    expect(contentHashOf('api', { b: [1, { d: 4, c: 3 }], a: 2 })).toBe(expected)
    expect(contentHashOf('api', {})).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  test('undefined members are left out and empty containers kept, as in JSON', () => {
    const expected = createHash('sha256').update('api\n{"b":[],"c":{},"d":[null,"\\u0000"]}').digest('base64url')
    expect(contentHashOf('api', { d: [null, '\u0000'], c: {}, a: undefined, b: [] })).toBe(expected)
  })

  test.each<InboundFormat>(['api', 'azure-table', 'file'])('the format matters: microsoft ≠ %s', (format) => {
    expect(contentHashOf(format, body)).not.toBe(contentHashOf('microsoft', body))
  })

  test.each<[string, unknown]>([
    ['a changed value', { ...body, ActionCode: 'PLT' }],
    ['a changed nested value', { ...body, UserDetails: { ...body.UserDetails, FirstName: 'Somf' } }],
    ['a value of another type', { ...body, ActionCode: 1 }],
    ['a string instead of a number', { a: '1' }],
    ['an extra field', { ...body, Description: '' }],
    ['a missing field', { LeadSource: body.LeadSource, ActionCode: body.ActionCode, tags: body.tags }],
    ['null instead of absent', { ...body, Description: null }],
    ['array order', { ...body, tags: ['x', { a: 1, b: 2 }] }],
    ['a renamed key', { ...body, actionCode: 'INS', ActionCode: undefined }],
    ['an array instead of an object', [body]],
    ['the JSON text instead of the object', JSON.stringify(body)],
  ])('content matters: %s', (_name, other) => {
    expect(contentHashOf('microsoft', other)).not.toBe(contentHashOf('microsoft', body))
  })

  test('a string and a number with the same text differ', () => {
    expect(contentHashOf('api', { a: '1' })).not.toBe(contentHashOf('api', { a: 1 }))
  })

  test('undefined properties are ignored, as in JSON', () => {
    expect(contentHashOf('api', { a: 1, b: undefined })).toBe(contentHashOf('api', { a: 1 }))
  })

  // The recursive version overflowed the call stack on a body nested ~5,000 deep, which fits in 64 KiB.
  test('nesting of any depth is hashed without overflowing the stack', () => {
    const depth = 200_000
    let nested: unknown = 'x'
    for (let index = 0; index < depth; index++) nested = index % 2 === 0 ? [nested] : { k: nested }
    const text = `${'{"k":['.repeat(depth / 2)}"x"${']}'.repeat(depth / 2)}`
    const expected = createHash('sha256').update('api\n').update(text).digest('base64url')
    expect(contentHashOf('api', nested)).toBe(expected)
  })

  test('the canonical text is JSON.stringify with sorted keys', () => {
    const sample = { z: [3, { y: null, b: 'é', a: [[], {}] }], a: { c: 1.5, b: -0, a: 'q"\\' }, m: [undefined, true] }
    const sorted = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sorted)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
            )
          : value
    const expected = createHash('sha256')
      .update(`api\n${JSON.stringify(sorted(sample))}`)
      .digest('base64url')
    expect(contentHashOf('api', sample)).toBe(expected)
  })

  test('unicode content is hashed exactly', () => {
    expect(contentHashOf('api', { name: 'Zoë' })).not.toBe(contentHashOf('api', { name: 'Zoe\u0308' }))
    expect(contentHashOf('api', { name: '王' })).toBe(contentHashOf('api', { name: '王' }))
  })
})
