import { describe, expect, test } from 'vitest'
import { type CustomerField, customerFields, isValidEmail, normaliseCustomer, type RawCustomer } from './customer.ts'

/** The CustomerInfo example in the seed (and every later version of Microsoft's docs). */
const johnSmith: RawCustomer = {
  firstName: 'John',
  lastName: 'Smith',
  email: 'jsmith@microsoft.com',
  phone: '1234567890',
  country: 'US',
  company: 'Microsoft',
  title: 'CTO',
}

describe('normaliseCustomer: documented examples', () => {
  test('the seed example keeps every value and adds the phone digits', () => {
    expect(normaliseCustomer(johnSmith)).toStrictEqual({
      customer: {
        firstName: 'John',
        lastName: 'Smith',
        email: 'jsmith@microsoft.com',
        phone: '1234567890',
        phoneDigits: '1234567890',
        country: 'US',
        company: 'Microsoft',
        title: 'CTO',
      },
      invalid: {},
    })
  })

  test("Microsoft's HTTPS example: USA becomes US", () => {
    const { customer, invalid } = normaliseCustomer({
      firstName: 'Some',
      lastName: 'One',
      email: 'someone@contoso.com',
      phone: '16175555555',
      country: 'USA',
      company: 'Contoso',
      title: 'Esquire',
    })
    expect(customer).toStrictEqual({
      firstName: 'Some',
      lastName: 'One',
      email: 'someone@contoso.com',
      phone: '16175555555',
      phoneDigits: '16175555555',
      country: 'US',
      company: 'Contoso',
      title: 'Esquire',
    })
    expect(invalid).toEqual({})
  })

  test('no data at all gives an empty customer', () => {
    expect(normaliseCustomer({})).toStrictEqual({ customer: {}, invalid: {} })
  })
})

describe('normaliseCustomer: trimming and empty values', () => {
  const textFields = ['firstName', 'lastName', 'company', 'title'] as const

  test.each(textFields)('%s is trimmed', (field) => {
    expect(normaliseCustomer({ [field]: '  \t Contoso Ltd \n ' }).customer[field]).toBe('Contoso Ltd')
  })

  test.each(customerFields.flatMap((field) => ['', ' ', '\t\n', '\u0000'].map((value) => [field, value] as const)))(
    '%s = %j is absent',
    (field, value) => {
      const { customer, invalid } = normaliseCustomer({ ...johnSmith, [field]: value })
      expect(customer).not.toHaveProperty(field)
      if (field === 'phone') expect(customer).not.toHaveProperty('phoneDigits')
      expect(invalid).toEqual({})
      // The other fields are untouched.
      for (const other of customerFields) if (other !== field) expect(customer).toHaveProperty(other)
    },
  )

  test('internal spacing is kept', () => {
    expect(normaliseCustomer({ company: 'Contoso  &  Sons' }).customer.company).toBe('Contoso  &  Sons')
  })
})

describe('normaliseCustomer: email', () => {
  test.each([
    ['jsmith@microsoft.com', 'jsmith@microsoft.com'],
    ['JSmith@Microsoft.COM', 'jsmith@microsoft.com'],
    ['  jsmith@microsoft.com  ', 'jsmith@microsoft.com'],
    ['MSFT_TEST_636573304831318844@test.com', 'msft_test_636573304831318844@test.com'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['ZOË@Exämple.de', 'zoë@exämple.de'],
    ['jsmith@microsoft.com\u0000', 'jsmith@microsoft.com'],
  ])('%j is valid and stored as %j', (raw, email) => {
    const { customer, invalid } = normaliseCustomer({ email: raw })
    expect(customer.email).toBe(email)
    expect(invalid).toEqual({})
  })

  test.each([
    'not an email',
    'Not An Email',
    'jsmith',
    'jsmith@',
    '@microsoft.com',
    'jsmith@microsoft',
    'j smith@microsoft.com',
    'jsmith@micro soft.com',
    'a@b@microsoft.com',
    'jsmith@.com',
    'jsmith@microsoft.',
    '<script>alert(1)</script>@x.com',
    "x@y.com'; DROP TABLE leads;--",
    '"John Smith" <jsmith@microsoft.com>',
    'jsmith@microsoft.com,other@microsoft.com',
    `${'a'.repeat(250)}@x.com`,
  ])('%j goes to invalid.email, as sent, and not to customer.email', (raw) => {
    const { customer, invalid } = normaliseCustomer({ ...johnSmith, email: raw })
    expect(customer).not.toHaveProperty('email')
    expect(invalid).toStrictEqual({ email: raw.trim() })
    // The rest of the customer survives an invalid email.
    expect(customer.firstName).toBe('John')
    expect(customer.phoneDigits).toBe('1234567890')
  })

  test('an invalid email is kept trimmed and without control characters', () => {
    expect(normaliseCustomer({ email: '  Not\u0000 An Email \n' }).invalid).toStrictEqual({ email: 'Not An Email' })
  })
})

describe('isValidEmail', () => {
  test.each([
    ['jsmith@microsoft.com', true],
    ['a@b.co', true],
    ['a.b-c_d+e@x-y.z', true],
    [`${'a'.repeat(64)}@${'b'.repeat(185)}.com`, true],
    [`${'a'.repeat(64)}@${'b'.repeat(186)}.com`, false],
    ['', false],
    ['a@b', false],
    ['a b@c.de', false],
    ['a@b c.de', false],
    ['a@@b.de', false],
    ['a@b.de;', false],
    ['a(b)@c.de', false],
    ['a@[1.2.3.4]', false],
    ['a\\b@c.de', false],
  ])('%j → %s', (email, valid) => {
    expect(isValidEmail(email)).toBe(valid)
  })
})

describe('normaliseCustomer: phone', () => {
  test.each([
    ['1234567890', '1234567890'],
    ['16175555555', '16175555555'],
    ['+1 (617) 555-5555', '16175555555'],
    ['+49 30 1234-5678 ext. 9', '4930123456789'],
    ['  0044 20 7946 0958 ', '00442079460958'],
  ])('%j keeps the raw value and gives digits %s', (raw, digits) => {
    const { customer } = normaliseCustomer({ phone: raw })
    expect(customer.phone).toBe(raw.trim())
    expect(customer.phoneDigits).toBe(digits)
  })

  test.each(['n/a', 'none', '+', '-- --'])('%j has no digits: the phone is kept, phoneDigits is absent', (raw) => {
    const { customer } = normaliseCustomer({ phone: raw })
    expect(customer.phone).toBe(raw)
    expect(customer).not.toHaveProperty('phoneDigits')
  })
})

describe('normaliseCustomer: country', () => {
  test.each([
    ['US', 'US'],
    ['USA', 'US'],
    ['usa', 'US'],
    ['United States', 'US'],
    ['United States of America', 'US'],
    ['Germany', 'DE'],
    ['Deutschland', 'DE'],
    ['GB', 'GB'],
    ['United Kingdom', 'GB'],
    [' United Kingdom ', 'GB'],
    ['France', 'FR'],
  ])('%j → %s', (raw, code) => {
    expect(normaliseCustomer({ country: raw }).customer.country).toBe(code)
  })

  test.each([
    ['Atlantis', 'Atlantis'],
    ['Middle Earth', 'Middle Earth'],
    ['  Atlantis  ', 'Atlantis'],
    ['XX', 'XX'],
    ['European Union', 'European Union'],
  ])('unrecognised %j is kept as sent (%j)', (raw, kept) => {
    const { customer, invalid } = normaliseCustomer({ country: raw })
    expect(customer.country).toBe(kept)
    expect(invalid).toEqual({})
  })
})

describe('normaliseCustomer: unicode and control characters', () => {
  test.each([
    ['firstName', 'Zoë'],
    ['firstName', 'Zoe\u0308'],
    ['lastName', '王'],
    ['lastName', '王小明'],
    ['firstName', 'Ñandú'],
    ['company', 'مرحبا'],
    ['company', 'Contoso 🚀'],
    ['title', '👩‍💻 Developer'],
    ['firstName', '👨‍👩‍👧‍👦'],
    ['company', 'Société Générale'],
    ['lastName', "O'Brien-Łukasiewicz"],
    ['company', '<script>alert(1)</script>'],
    ['company', "Robert'); DROP TABLE leads;--"],
  ] as const)('%s %j is preserved exactly', (field, value) => {
    expect(normaliseCustomer({ [field]: value }).customer[field]).toBe(value)
  })

  test.each([
    ['Jo\u0000hn', 'John'],
    ['John\u0007', 'John'],
    ['\u001bJohn', 'John'],
    ['Jo\u007fhn', 'John'],
    ['Jo\u0080\u009fhn', 'John'],
    ['Zo\u0000ë', 'Zoë'],
    ['Anna\tMaria', 'Anna Maria'],
    ['Anna\nMaria', 'Anna Maria'],
    ['Anna\u0085Maria', 'Anna Maria'],
    ['\u0000\u0001  John \u001f', 'John'],
  ])('%j → %j', (raw, expected) => {
    expect(normaliseCustomer({ firstName: raw }).customer.firstName).toBe(expected)
  })

  test('no field keeps a control character', () => {
    // Tab, LF, CR and NEL become spaces; NUL, SOH, BS, ESC, DEL and C1 controls go.
    const dirty = 'x\u0000\u0001\u0008\t\n\r\u001b\u007f\u0085\u009fy'
    const raw = Object.fromEntries(customerFields.map((field) => [field, dirty])) as Record<CustomerField, string>
    const { customer, invalid } = normaliseCustomer(raw)
    for (const value of [...Object.values(customer), ...Object.values(invalid)]) {
      expect(value).not.toMatch(/\p{Cc}/u)
    }
    expect(customer.firstName).toBe('x    y')
  })
})
