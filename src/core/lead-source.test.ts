import { describe, expect, test } from 'vitest'
import {
  canonicalAction,
  canonicalSource,
  isOfferId,
  knownSources,
  offerKeyOf,
  type ParsedLeadSource,
  parseLeadSource,
} from './lead-source.ts'

/** Every way the seed and the reference write a source, with the canonical source it must give. */
const sourceSpellings: ReadonlyArray<readonly [string, string]> = [
  ['AzureMarketplace', 'AzureMarketplace'],
  ['AzurePortal', 'AzurePortal'],
  ['TestDrive', 'TestDrive'],
  ['SPZA', 'AppSource'],
  ['AppSource', 'AppSource'],
  ['AppSource (SPZA)', 'AppSource'],
]

/** The documented actions. `Erstellen` is how the German seed writes `Create`; it is not a wire code, so it stays as-is. */
const actionSpellings: ReadonlyArray<readonly [string, string]> = [
  ['INS', 'INS'],
  ['PLT', 'PLT'],
  ['DNC', 'DNC'],
  ['Create', 'Create'],
  ['StartTestDrive', 'StartTestDrive'],
  ['Erstellen', 'Erstellen'],
]

/** The `publisher.offer` ids the seed and the reference give as examples; two contain `-` after the dot. */
const offerIds = [
  'checkpoint.check-point-r77-10sg-byol',
  'bitnami.openedxcypress',
  'docusign.3701c77e-1cfa-4c56-91e6-3ed0b622145a',
] as const

describe('parseLeadSource: every documented source × action × offer id', () => {
  const combinations = sourceSpellings.flatMap(([source, canonical]) =>
    actionSpellings.flatMap(([action, canonicalAct]) =>
      offerIds.map((offer) => ({
        raw: `${source}-${action}|${offer}`,
        source: canonical,
        action: canonicalAct,
        offer,
      })),
    ),
  )

  test('the table covers 6 source spellings × 6 actions × 3 offers', () => {
    expect(combinations).toHaveLength(108)
  })

  test.each(combinations)('$raw', ({ raw, source, action, offer }) => {
    expect(parseLeadSource(raw)).toEqual({ source, action, offer })
  })
})

describe('parseLeadSource: examples from the seed, the reference and real leads', () => {
  test.each<{ raw: string; expected: ParsedLeadSource }>([
    {
      raw: 'AzureMarketplace-StartTestDrive|Red Hat OpenShift Container Platform',
      expected: { source: 'AzureMarketplace', action: 'StartTestDrive', offer: 'Red Hat OpenShift Container Platform' },
    },
    {
      raw: 'TestDrive-StartTestDrive|Red Hat OpenShift',
      expected: { source: 'TestDrive', action: 'StartTestDrive', offer: 'Red Hat OpenShift' },
    },
    {
      raw: 'MSFT_TEST_636573304831318844-MSFT_TEST_636573304831318844|<Offer Name>',
      expected: {
        source: 'MSFT_TEST_636573304831318844',
        action: 'MSFT_TEST_636573304831318844',
        offer: '<Offer Name>',
      },
    },
    // Microsoft's HTTPS payload: the action and the offer come in ActionCode and OfferTitle.
    { raw: 'AzureMarketplace', expected: { source: 'AzureMarketplace' } },
    // The older CPP HTTPS example puts free text in LeadSource; it is kept, not rejected.
    { raw: 'Test run through MS Flow', expected: { source: 'Test run through MS Flow' } },
    // The docs write the format with spaces around the bar.
    { raw: 'Source-Action | Offer', expected: { source: 'Source', action: 'Action', offer: 'Offer' } },
    {
      raw: 'AzureMarketplace-INS | bitnami.openedxcypress',
      expected: { source: 'AzureMarketplace', action: 'INS', offer: 'bitnami.openedxcypress' },
    },
    {
      raw: 'AzurePortal - Create | docusign.3701c77e-1cfa-4c56-91e6-3ed0b622145a',
      expected: { source: 'AzurePortal', action: 'Create', offer: 'docusign.3701c77e-1cfa-4c56-91e6-3ed0b622145a' },
    },
    // The `publisher.offer` id that sits beside the Red Hat display name in Azure Table's ProductId.
    {
      raw: 'AzureMarketplace-StartTestDrive|redhat.openshift-container-platform',
      expected: { source: 'AzureMarketplace', action: 'StartTestDrive', offer: 'redhat.openshift-container-platform' },
    },
  ])('$raw', ({ raw, expected }) => {
    expect(parseLeadSource(raw)).toEqual(expected)
  })
})

describe('parseLeadSource: tolerance', () => {
  test.each<{ name: string; raw: string; expected: ParsedLeadSource }>([
    {
      name: 'lower-case source and action are canonicalised',
      raw: 'azureportal-create|contoso.app',
      expected: { source: 'AzurePortal', action: 'Create', offer: 'contoso.app' },
    },
    {
      name: 'upper-case source and action are canonicalised',
      raw: 'SPZA-STARTTESTDRIVE|contoso.app',
      expected: { source: 'AppSource', action: 'StartTestDrive', offer: 'contoso.app' },
    },
    {
      name: 'mixed-case AppSource (SPZA) with doubled space',
      raw: 'appsource  (spza)-plt|contoso.app',
      expected: { source: 'AppSource', action: 'PLT', offer: 'contoso.app' },
    },
    {
      name: 'surrounding whitespace',
      raw: '  SPZA-DNC|contoso.app \n',
      expected: { source: 'AppSource', action: 'DNC', offer: 'contoso.app' },
    },
    {
      name: 'an unknown action is kept as written',
      raw: 'AzureMarketplace-SubscribeSaaS|contoso.saas',
      expected: { source: 'AzureMarketplace', action: 'SubscribeSaaS', offer: 'contoso.saas' },
    },
    {
      name: 'an unknown source is kept as written',
      raw: 'Dynamics365-INS|contoso.app',
      expected: { source: 'Dynamics365', action: 'INS', offer: 'contoso.app' },
    },
    {
      name: 'a display name with dashes keeps every dash',
      raw: 'SPZA-PLT|Contoso - CRM add-in for Dynamics-365',
      expected: { source: 'AppSource', action: 'PLT', offer: 'Contoso - CRM add-in for Dynamics-365' },
    },
    {
      name: 'only the first bar splits; the offer keeps later bars',
      raw: 'AzureMarketplace-INS|Contoso | Edition A',
      expected: { source: 'AzureMarketplace', action: 'INS', offer: 'Contoso | Edition A' },
    },
    {
      name: 'only the first dash splits the head',
      raw: 'AzureMarketplace-Start-Trial|contoso.app',
      expected: { source: 'AzureMarketplace', action: 'Start-Trial', offer: 'contoso.app' },
    },
    {
      name: 'a known source with an offer but no action',
      raw: 'AppSource (SPZA)|contoso.app',
      expected: { source: 'AppSource', offer: 'contoso.app' },
    },
    {
      name: 'a bare SPZA canonicalises',
      raw: 'SPZA',
      expected: { source: 'AppSource' },
    },
    {
      name: 'an empty action is absent',
      raw: 'AzureMarketplace-|contoso.app',
      expected: { source: 'AzureMarketplace', offer: 'contoso.app' },
    },
    {
      name: 'an empty offer is absent',
      raw: 'AzureMarketplace-INS|   ',
      expected: { source: 'AzureMarketplace', action: 'INS' },
    },
    {
      name: 'an offer without a head',
      raw: '|contoso.app',
      expected: { offer: 'contoso.app' },
    },
    {
      name: 'an action named like an Object.prototype member is kept as text',
      raw: 'AzureMarketplace-constructor|contoso.app',
      expected: { source: 'AzureMarketplace', action: 'constructor', offer: 'contoso.app' },
    },
    {
      name: 'a source named like an Object.prototype member is kept as text',
      raw: 'toString-hasOwnProperty|contoso.app',
      expected: { source: 'toString', action: 'hasOwnProperty', offer: 'contoso.app' },
    },
  ])('$name', ({ raw, expected }) => {
    expect(parseLeadSource(raw)).toEqual(expected)
  })

  test.each([undefined, '', '   ', '\t\n'])('%j gives nothing', (raw) => {
    expect(parseLeadSource(raw)).toEqual({})
  })

  test('every value it returns is a string', () => {
    for (const raw of ['AzureMarketplace-valueOf|x', 'constructor', '__proto__-__proto__|__proto__']) {
      const parsed = parseLeadSource(raw)
      for (const value of Object.values(parsed)) if (value !== undefined) expect(typeof value).toBe('string')
    }
  })
})

describe('canonicalSource', () => {
  test.each<readonly [string, string]>([
    ...sourceSpellings,
    ['azuremarketplace', 'AzureMarketplace'],
    ['AZUREPORTAL', 'AzurePortal'],
    ['testdrive', 'TestDrive'],
    ['spza', 'AppSource'],
    [' SPZA ', 'AppSource'],
    ['APPSOURCE (SPZA)', 'AppSource'],
    ['Dynamics365', 'Dynamics365'],
    ['  Some Partner Portal ', 'Some Partner Portal'],
    ['constructor', 'constructor'],
    ['__proto__', '__proto__'],
  ])('%j → %j', (raw, expected) => {
    expect(canonicalSource(raw)).toBe(expected)
  })

  test.each([undefined, '', '  '])('%j → undefined', (raw) => {
    expect(canonicalSource(raw)).toBeUndefined()
  })

  test('canonical sources are exactly the known sources', () => {
    expect(new Set(sourceSpellings.map(([raw]) => canonicalSource(raw)))).toEqual(new Set(knownSources))
  })
})

describe('canonicalAction', () => {
  test.each<readonly [string, string]>([
    ...actionSpellings,
    ['ins', 'INS'],
    ['Ins', 'INS'],
    ['plt', 'PLT'],
    ['dnc', 'DNC'],
    ['CREATE', 'Create'],
    ['create', 'Create'],
    ['starttestdrive', 'StartTestDrive'],
    ['STARTTESTDRIVE', 'StartTestDrive'],
    [' INS ', 'INS'],
    ['SubscribeSaaS', 'SubscribeSaaS'],
    ['toString', 'toString'],
    ['constructor', 'constructor'],
  ])('%j → %j', (raw, expected) => {
    expect(canonicalAction(raw)).toBe(expected)
  })

  test.each([undefined, '', ' '])('%j → undefined', (raw) => {
    expect(canonicalAction(raw)).toBeUndefined()
  })
})

describe('isOfferId', () => {
  test.each([
    ...offerIds,
    'redhat.openshift-container-platform',
    'Contoso.App',
    'contoso.app.v2',
    'contoso_inc.app_1',
    '1publisher.2offer',
    `contoso.${'x'.repeat(248)}`,
  ])('%j is a publisher.offer id', (offer) => {
    expect(isOfferId(offer)).toBe(true)
  })

  test.each([
    'Red Hat OpenShift Container Platform',
    'Red Hat OpenShift',
    '<Offer Name>',
    'Test Microsoft',
    'Contoso Test',
    'contoso',
    '',
    '.offer',
    'publisher.',
    'publisher..offer',
    'pub lisher.offer',
    'publisher.off er',
    ' contoso.app',
    '-contoso.app',
    'contoso.-app',
    "contoso.app'; DROP TABLE leads;--",
    'MSFT_TEST_636573304831318844',
    `contoso.${'x'.repeat(249)}`,
  ])('%j is a display name', (offer) => {
    expect(isOfferId(offer)).toBe(false)
  })
})

describe('offerKeyOf', () => {
  test.each([
    ['Red Hat OpenShift', 'red hat openshift'],
    ['  Red  Hat\tOpenShift \n', 'red hat openshift'],
    ['RED HAT OPENSHIFT', 'red hat openshift'],
    ['Checkpoint.Check-Point-R77-10SG-BYOL', 'checkpoint.check-point-r77-10sg-byol'],
    ['bitnami.openedxcypress', 'bitnami.openedxcypress'],
    ['Zoë’s Offer', 'zoë’s offer'],
  ])('%j → %j', (offer, key) => {
    expect(offerKeyOf(offer)).toBe(key)
  })

  test('spellings that differ only in case and spacing share one key, others do not', () => {
    expect(offerKeyOf('Red Hat OpenShift')).toBe(offerKeyOf(' red  hat openshift'))
    expect(offerKeyOf('Red Hat OpenShift')).not.toBe(offerKeyOf('Red Hat OpenShift Container Platform'))
    expect(offerKeyOf('RedHat OpenShift')).not.toBe(offerKeyOf('Red Hat OpenShift'))
  })
})
