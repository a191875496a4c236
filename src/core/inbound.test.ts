import { describe, expect, test } from 'vitest'
import { AppError, type ErrorCode } from './errors.ts'
import { inboundFormats, parseInboundLead } from './inbound.ts'

/** Microsoft's HTTPS endpoint example payload (PC-HTTPS-20), verbatim. */
const microsoftExample = {
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
}

const ticks = 'MSFT_TEST_636573304831318844'

/** The LM-FAQ JSON test lead: note the lower-case `userDetails` (the doc's missing comma repaired). */
const faqTestLead = {
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
}

const seedCustomer = {
  FirstName: 'John',
  LastName: 'Smith',
  Email: 'jsmith@microsoft.com',
  Phone: '1234567890',
  Country: 'US',
  Company: 'Microsoft',
  Title: 'CTO',
}

const seedCustomerParsed = {
  firstName: 'John',
  lastName: 'Smith',
  email: 'jsmith@microsoft.com',
  phone: '1234567890',
  country: 'US',
  company: 'Microsoft',
  title: 'CTO',
}

function errorOf(run: () => unknown): AppError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected an AppError, nothing was thrown')
}

describe('documented payloads', () => {
  test("Microsoft's HTTPS example", () => {
    expect(parseInboundLead(microsoftExample, 'microsoft')).toStrictEqual({
      format: 'microsoft',
      leadSource: 'AzureMarketplace',
      action: 'INS',
      offerTitle: 'Test Microsoft',
      description: 'Test run through Power Automate',
      customer: {
        firstName: 'Some',
        lastName: 'One',
        email: 'someone@contoso.com',
        phone: '16175555555',
        country: 'USA',
        company: 'Contoso',
        title: 'Esquire',
      },
      extra: {},
    })
  })

  test('the older CPP HTTPS example, free text in LeadSource and no ActionCode', () => {
    const lead = parseInboundLead(
      { UserDetails: seedCustomer, LeadSource: 'Test run through MS Flow', OfferTitle: 'Test Microsoft' },
      'microsoft',
    )
    expect(lead.leadSource).toBe('Test run through MS Flow')
    expect(lead.action).toBeUndefined()
    expect(lead.offerTitle).toBe('Test Microsoft')
    expect(lead.customer).toStrictEqual(seedCustomerParsed)
  })

  test('the LM-FAQ JSON test lead with lower-case userDetails', () => {
    expect(parseInboundLead(faqTestLead, 'microsoft')).toStrictEqual({
      format: 'microsoft',
      leadSource: 'AzureMarketplace',
      action: 'INS',
      offerTitle: 'Contoso Test',
      description: ticks,
      customer: {
        firstName: ticks,
        lastName: ticks,
        email: `${ticks}@test.com`,
        phone: '1234567890',
        country: 'US',
        company: ticks,
        title: ticks,
      },
      extra: {},
    })
  })

  test('an Azure Table entity: CustomerInfo is a JSON string, storage columns go to extra', () => {
    const entity = {
      PartitionKey: '9:2F28:2F2018',
      RowKey: '2f1c7e0a-0000-4000-8000-000000000001',
      Timestamp: '2018-09-28T10:00:05.123Z',
      ProductId: 'redhat.openshift-container-platform',
      CustomerInfo: JSON.stringify(seedCustomer),
      LeadSource: 'AzureMarketplace-StartTestDrive|Red Hat OpenShift Container Platform',
      ActionCode: 'StartTestDrive',
      PublisherDisplayName: 'Red Hat',
      OfferDisplayName: 'Red Hat OpenShift Container Platform',
      CreatedTime: '2018-09-28T10:00:00Z',
      Description: 'Campaigns: ',
    }
    expect(parseInboundLead(entity, 'azure-table')).toStrictEqual({
      format: 'azure-table',
      productId: 'redhat.openshift-container-platform',
      leadSource: 'AzureMarketplace-StartTestDrive|Red Hat OpenShift Container Platform',
      action: 'StartTestDrive',
      publisherName: 'Red Hat',
      offerTitle: 'Red Hat OpenShift Container Platform',
      occurredAt: Date.UTC(2018, 8, 28, 10, 0, 0),
      description: 'Campaigns:',
      customer: seedCustomerParsed,
      extra: {
        PartitionKey: '9:2F28:2F2018',
        RowKey: '2f1c7e0a-0000-4000-8000-000000000001',
        Timestamp: '2018-09-28T10:00:05.123Z',
      },
    })
  })

  test("Leadrelay's own camelCase format", () => {
    const lead = parseInboundLead(
      {
        eventId: 'evt-1',
        source: 'AzureMarketplace',
        action: 'INS',
        offer: 'contoso.app',
        offerTitle: 'Contoso App',
        occurredAt: '2026-01-02T03:04:05.006Z',
        customer: { firstName: 'John', email: 'jsmith@microsoft.com' },
      },
      'api',
    )
    expect(lead).toStrictEqual({
      format: 'api',
      eventId: 'evt-1',
      source: 'AzureMarketplace',
      action: 'INS',
      offer: 'contoso.app',
      offerTitle: 'Contoso App',
      occurredAt: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      customer: { firstName: 'John', email: 'jsmith@microsoft.com' },
      extra: {},
    })
  })

  test.each(inboundFormats)('the format %s is passed through', (format) => {
    expect(parseInboundLead({ LeadSource: 'AzureMarketplace-INS|contoso.app' }, format).format).toBe(format)
  })
})

describe('keys are matched case-insensitively', () => {
  test.each([
    'UserDetails',
    'userDetails',
    'USERDETAILS',
    'userdetails',
    'CustomerInfo',
    'customerInfo',
    'Customer_Info',
    'customer',
  ])('customer object under %s', (key) => {
    const lead = parseInboundLead({ LeadSource: 'SPZA-PLT|contoso.app', [key]: seedCustomer }, 'microsoft')
    expect(lead.customer).toStrictEqual(seedCustomerParsed)
    expect(lead.extra).toEqual({})
  })

  test.each(['CustomerInfo', 'customerinfo', 'CUSTOMERINFO', 'UserDetails'])('customer JSON string under %s', (key) => {
    const lead = parseInboundLead(
      { LeadSource: 'SPZA-PLT|contoso.app', [key]: JSON.stringify(seedCustomer) },
      'azure-table',
    )
    expect(lead.customer).toStrictEqual(seedCustomerParsed)
  })

  test.each([
    ['FirstName', 'firstName'],
    ['firstName', 'firstName'],
    ['first_name', 'firstName'],
    ['FIRST NAME', 'firstName'],
    ['last-name', 'lastName'],
    ['EmailAddress', 'email'],
    ['EMAIL', 'email'],
    ['PhoneNumber', 'phone'],
    ['phone', 'phone'],
    ['country', 'country'],
    ['CompanyName', 'company'],
    ['JobTitle', 'title'],
    ['TITLE', 'title'],
  ])('customer key %j → %s', (key, field) => {
    const lead = parseInboundLead({ CustomerInfo: { [key]: 'value' } }, 'microsoft')
    expect(lead.customer).toStrictEqual({ [field]: 'value' })
  })

  test.each([
    ['LeadSource', 'leadSource'],
    ['leadSource', 'leadSource'],
    ['LEADSOURCE', 'leadSource'],
    ['lead_source', 'leadSource'],
    ['Lead-Source', 'leadSource'],
    ['ActionCode', 'action'],
    ['actioncode', 'action'],
    ['Action', 'action'],
    ['OfferTitle', 'offerTitle'],
    ['OfferDisplayName', 'offerTitle'],
    ['offerId', 'offer'],
    ['PRODUCTID', 'productId'],
    ['PublisherName', 'publisherName'],
    ['DESCRIPTION', 'description'],
    ['Source', 'source'],
    ['EventId', 'eventId'],
  ])('lead key %j → %s', (key, field) => {
    // Customer info keeps the lead from being empty when the key alone would not.
    const lead = parseInboundLead({ [key]: 'contoso.app', CustomerInfo: { Email: 'a@b.co' } }, 'api')
    expect(lead).toHaveProperty(field, 'contoso.app')
    expect(lead.extra).toEqual({})
  })

  test('customer info sent under two spellings is merged', () => {
    const lead = parseInboundLead(
      { UserDetails: { FirstName: 'John' }, CustomerInfo: JSON.stringify({ Email: 'jsmith@microsoft.com' }) },
      'microsoft',
    )
    expect(lead.customer).toStrictEqual({ firstName: 'John', email: 'jsmith@microsoft.com' })
  })
})

describe('values', () => {
  test('lead-level strings are trimmed; blank ones are absent', () => {
    const lead = parseInboundLead(
      { LeadSource: '  AzureMarketplace-INS|contoso.app \n', OfferTitle: '   ', Description: '' },
      'microsoft',
    )
    expect(lead.leadSource).toBe('AzureMarketplace-INS|contoso.app')
    expect(lead).not.toHaveProperty('offerTitle')
    expect(lead).not.toHaveProperty('description')
  })

  test('null values are treated as absent', () => {
    const lead = parseInboundLead(
      {
        LeadSource: 'SPZA-INS|a.b',
        ActionCode: null,
        CreatedTime: null,
        CustomerInfo: { Email: null, FirstName: 'Jo' },
      },
      'microsoft',
    )
    expect(lead).not.toHaveProperty('action')
    expect(lead.occurredAt).toBeUndefined()
    expect(lead.customer).toStrictEqual({ firstName: 'Jo' })
  })

  test('unknown fields are kept verbatim in extra, whatever their type', () => {
    const extra = {
      oid: '00Do0000000ZHog',
      encoding: 'UTF-8',
      Campaign: { id: 7, tags: ['a', 'b'] },
      score: 42,
      consent: true,
      nothing: null,
      list: [1, '2', { three: 3 }],
    }
    const lead = parseInboundLead({ ...microsoftExample, ...extra }, 'microsoft')
    expect(lead.extra).toStrictEqual(extra)
    expect(lead.leadSource).toBe('AzureMarketplace')
  })

  test('keys named like Object.prototype members are unknown fields, not aliases', () => {
    const lead = parseInboundLead({ constructor: 'x', toString: 'y', hasOwnProperty: 'z', LeadSource: 'a' }, 'api')
    expect(lead.extra).toStrictEqual({ constructor: 'x', toString: 'y', hasOwnProperty: 'z' })
    expect(Object.keys(lead).sort()).toEqual(['customer', 'extra', 'format', 'leadSource'])
  })

  test('a __proto__ key from JSON.parse is kept as a field and does not become the prototype', () => {
    const lead = parseInboundLead(JSON.parse('{"__proto__": {"admin": true}, "LeadSource": "a"}'), 'api')
    expect(Object.getPrototypeOf(lead.extra)).toBe(Object.prototype)
    expect(Object.hasOwn(lead.extra, '__proto__')).toBe(true)
    expect((lead.extra as Record<string, unknown>).admin).toBeUndefined()
    expect(JSON.stringify(lead.extra)).toBe('{"__proto__":{"admin":true}}')
  })

  test('customer keys named like Object.prototype members are not customer fields', () => {
    const error = errorOf(() => parseInboundLead({ CustomerInfo: { constructor: 'x', toString: 'y' } }, 'api'))
    expect(error.code).toBe('LEAD_EMPTY')
  })

  test('unknown customer keys are ignored, even with non-string values', () => {
    const lead = parseInboundLead({ CustomerInfo: { ...seedCustomer, Address: { city: 'Redmond' }, Age: 42 } }, 'api')
    expect(lead.customer).toStrictEqual(seedCustomerParsed)
  })

  test.each([
    ['LeadSource', 'leadSource', "AzureMarketplace-INS|'; DROP TABLE leads;--"],
    ['LeadSource', 'leadSource', 'AzureMarketplace-INS|<script>alert(1)</script>'],
    ['Description', 'description', "'; DROP TABLE leads;--"],
    ['OfferTitle', 'offerTitle', '<script>alert("x")</script>'],
    ['ProductId', 'productId', "contoso.app' OR '1'='1"],
  ] as const)('%s %j is kept verbatim as data', (key, field, value) => {
    const lead = parseInboundLead({ CustomerInfo: { Email: 'a@b.co' }, [key]: value }, 'microsoft')
    expect(lead[field]).toBe(value)
  })

  test.each([
    "'; DROP TABLE leads;--",
    "Robert'); DROP TABLE leads;--",
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    '{{7*7}}',
    '{{constructor.constructor("return process")()}}',
  ])('customer value %j is kept verbatim as data', (value) => {
    const lead = parseInboundLead(
      { LeadSource: 'SPZA-INS|a.b', UserDetails: { FirstName: value, Company: value }, Injected: value },
      'microsoft',
    )
    expect(lead.customer).toStrictEqual({ firstName: value, company: value })
    expect(lead.extra).toStrictEqual({ Injected: value })
  })
})

describe('CreatedTime', () => {
  test.each<[unknown, number]>([
    ['2018-09-28T10:00:00Z', Date.UTC(2018, 8, 28, 10)],
    ['2018-09-28T10:00:00.000Z', Date.UTC(2018, 8, 28, 10)],
    ['2018-09-28T12:00:00+02:00', Date.UTC(2018, 8, 28, 10)],
    ['2018-09-28', Date.UTC(2018, 8, 28)],
    [Date.UTC(2018, 8, 28, 10), Date.UTC(2018, 8, 28, 10)],
    [0, 0],
  ])('%j → %d', (value, time) => {
    expect(parseInboundLead({ LeadSource: 'a', CreatedTime: value }, 'azure-table').occurredAt).toBe(time)
  })

  test.each([undefined, null, ''])('%j leaves occurredAt absent', (value) => {
    expect(parseInboundLead({ LeadSource: 'a', CreatedTime: value }, 'azure-table').occurredAt).toBeUndefined()
  })

  test.each([
    [Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['1970-01-01T00:00:00Z', 0],
  ])('%j, at an end of the storable range, is a time', (value, time) => {
    const lead = parseInboundLead({ LeadSource: 'a', CreatedTime: value }, 'microsoft')
    expect(lead.occurredAt).toBe(time)
    expect(lead.unusableTime).toBeUndefined()
  })

  // Each of these was acknowledged and later failed every read of its lead ("Invalid time value"), or a 500 at once.
  test.each<[unknown, string]>([
    [9e15, '9000000000000000'],
    [-9e15, '-9000000000000000'],
    [1.5, '1.5'],
    [1e300, '1e+300'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [-1, '-1'],
    [Date.UTC(10000, 0, 1), String(Date.UTC(10000, 0, 1))],
    ['+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'],
    ['+010000-01-01T00:00:00Z', '+010000-01-01T00:00:00Z'],
    ['1969-12-31T23:59:59.999Z', '1969-12-31T23:59:59.999Z'],
  ])('%j cannot be stored: no occurredAt, the value kept as text', (value, text) => {
    const lead = parseInboundLead({ LeadSource: 'a', CreatedTime: value }, 'microsoft')
    expect(lead.occurredAt).toBeUndefined()
    expect(lead.unusableTime).toStrictEqual({ field: 'CreatedTime', value: text })
  })

  test('a later usable time of the same meaning wins over an unusable one', () => {
    const lead = parseInboundLead({ LeadSource: 'a', CreatedTime: 9e15, occurredAt: '2026-01-02T00:00:00Z' }, 'api')
    expect(lead.occurredAt).toBe(Date.UTC(2026, 0, 2))
    expect(lead).not.toHaveProperty('unusableTime')
  })
})

describe('wrong types throw LEAD_INVALID naming the field', () => {
  test.each<[string, unknown, string]>([
    ['LeadSource a number', { LeadSource: 5 }, 'LeadSource'],
    ['LeadSource an array', { LeadSource: ['AzureMarketplace'] }, 'LeadSource'],
    ['LeadSource an object', { LeadSource: { a: 1 } }, 'LeadSource'],
    ['LeadSource a boolean', { LeadSource: true }, 'LeadSource'],
    ['ActionCode a number', { LeadSource: 'AzureMarketplace', ActionCode: 1 }, 'ActionCode'],
    ['OfferTitle an array', { LeadSource: 'AzureMarketplace', OfferTitle: [] }, 'OfferTitle'],
    ['Description an object', { LeadSource: 'AzureMarketplace', Description: {} }, 'Description'],
    ['eventId a number', { eventId: 42, LeadSource: 'AzureMarketplace' }, 'eventId'],
    ['leadSource (camelCase) a number', { leadSource: 7 }, 'leadSource'],
    ['Email a number', { UserDetails: { Email: 5 } }, 'UserDetails.Email'],
    ['Phone a number', { UserDetails: { Phone: 16175555555 } }, 'UserDetails.Phone'],
    ['FirstName an array', { userDetails: { FirstName: ['John'] } }, 'userDetails.FirstName'],
    ['Country an object', { CustomerInfo: { Country: { code: 'US' } } }, 'CustomerInfo.Country'],
    ['Email a boolean', { CustomerInfo: { Email: true } }, 'CustomerInfo.Email'],
    ['Email a number inside a JSON string', { CustomerInfo: '{"Email": 5}' }, 'CustomerInfo.Email'],
    ['CustomerInfo an array', { LeadSource: 'a', CustomerInfo: [seedCustomer] }, 'CustomerInfo'],
    ['CustomerInfo an empty array', { LeadSource: 'a', CustomerInfo: [] }, 'CustomerInfo'],
    ['CustomerInfo a number', { LeadSource: 'a', CustomerInfo: 42 }, 'CustomerInfo'],
    ['CustomerInfo a boolean', { LeadSource: 'a', CustomerInfo: true }, 'CustomerInfo'],
    ['CustomerInfo a non-JSON string', { LeadSource: 'a', CustomerInfo: '{nope' }, 'CustomerInfo'],
    ['CustomerInfo plain text', { LeadSource: 'a', CustomerInfo: 'John Smith' }, 'CustomerInfo'],
    ['CustomerInfo a JSON array string', { LeadSource: 'a', CustomerInfo: '[1,2]' }, 'CustomerInfo'],
    ['CustomerInfo a JSON string string', { LeadSource: 'a', CustomerInfo: '"John"' }, 'CustomerInfo'],
    ['CustomerInfo a JSON number string', { LeadSource: 'a', CustomerInfo: '42' }, 'CustomerInfo'],
    ['UserDetails an array', { LeadSource: 'a', UserDetails: ['x'] }, 'UserDetails'],
    ['CreatedTime not a date', { LeadSource: 'a', CreatedTime: 'yesterday' }, 'CreatedTime'],
    ['CreatedTime a boolean', { LeadSource: 'a', CreatedTime: true }, 'CreatedTime'],
    ['CreatedTime an object', { LeadSource: 'a', CreatedTime: {} }, 'CreatedTime'],
    ['occurredAt not a date', { LeadSource: 'a', occurredAt: '2018-13-45' }, 'occurredAt'],
    ['eventId over 200 characters', { LeadSource: 'a', eventId: 'e'.repeat(201) }, 'eventId'],
  ])('%s', (_name, body, field) => {
    const error = errorOf(() => parseInboundLead(body, 'microsoft'))
    expect(error.code).toBe('LEAD_INVALID')
    expect(error.field).toBe(field)
    expect(error.status).toBe(400)
    expect(error.message).toContain(field)
  })

  test('an eventId of exactly 200 characters is accepted', () => {
    expect(parseInboundLead({ LeadSource: 'a', eventId: 'e'.repeat(200) }, 'api').eventId).toHaveLength(200)
  })

  test.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'AzureMarketplace-INS|contoso.app'],
    ['a number', 42],
    ['a boolean', true],
    ['an empty array', []],
    ['an array of leads', [microsoftExample]],
  ])('a body that is %s → field $', (_name, body) => {
    const error = errorOf(() => parseInboundLead(body, 'microsoft'))
    expect(error.code).toBe('LEAD_INVALID')
    expect(error.field).toBe('$')
  })
})

describe('empty leads throw LEAD_EMPTY', () => {
  test.each<[string, unknown]>([
    ['an empty object', {}],
    ['a blank LeadSource', { LeadSource: '   ' }],
    ['an empty customer object', { CustomerInfo: {} }],
    ['an empty customer string', { CustomerInfo: '' }],
    ['a JSON null customer string', { CustomerInfo: 'null' }],
    ['a null customer', { UserDetails: null }],
    ['blank customer values', { CustomerInfo: { FirstName: '  ', Email: '' } }],
    ['only unknown fields', { oid: '00Do0000000ZHog', encoding: 'UTF-8' }],
    ['only an action and a description', { ActionCode: 'INS', Description: 'Campaigns: ' }],
  ])('%s', (_name, body) => {
    const error = errorOf(() => parseInboundLead(body, 'microsoft'))
    const expected: ErrorCode = 'LEAD_EMPTY'
    expect(error.code).toBe(expected)
    expect(error.status).toBe(400)
  })

  test.each<[string, Record<string, unknown>]>([
    ['a LeadSource', { LeadSource: 'AzureMarketplace' }],
    ['an OfferTitle', { OfferTitle: 'Contoso' }],
    ['an OfferDisplayName', { OfferDisplayName: 'Contoso' }],
    ['a ProductId', { ProductId: 'contoso.app' }],
    ['an offer', { offer: 'contoso.app' }],
    ['one customer value', { CustomerInfo: { Phone: '1234567890' } }],
  ])('%s alone is enough', (_name, body) => {
    expect(() => parseInboundLead(body, 'api')).not.toThrow()
  })
})

describe('NUL characters (U+0000) are dropped from lead text, never the lead', () => {
  test('in fields, in customer values, and inside a CustomerInfo sent as a JSON string', () => {
    const lead = parseInboundLead(
      {
        LeadSource: 'AzureMarketplace-INS|contoso.a\u0000',
        Description: 'padded\u0000\u0000',
        CustomerInfo: JSON.stringify({ FirstName: 'Jo\u0000hn', Email: 'john@contoso.com\u0000' }),
      },
      'microsoft',
    )
    expect(lead.leadSource).toBe('AzureMarketplace-INS|contoso.a')
    expect(lead.description).toBe('padded')
    expect(lead.customer).toEqual({ firstName: 'John', email: 'john@contoso.com' })
    const own = parseInboundLead({ source: 'api', customer: { lastName: '\u0000Smith' } }, 'api')
    expect(own.customer).toEqual({ lastName: 'Smith' })
    // An idempotency key is never altered into another one: it stays as sent, for its own check to refuse.
    expect(parseInboundLead({ eventId: 'evt\u00001', LeadSource: 'AzureMarketplace' }, 'api').eventId).toBe(
      'evt\u00001',
    )
  })
})
