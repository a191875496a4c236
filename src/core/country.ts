/** Country names and codes to ISO 3166-1 alpha-2. Built from the runtime's own region names (ICU), no I/O. */

/** Alpha-3 codes and everyday names that ICU's English display names do not produce. Keys are normalised. */
const extraSpellings: Readonly<Record<string, string>> = {
  usa: 'US',
  'united states of america': 'US',
  america: 'US',
  uk: 'GB',
  'great britain': 'GB',
  england: 'GB',
  gbr: 'GB',
  deu: 'DE',
  germany: 'DE',
  deutschland: 'DE',
  fra: 'FR',
  can: 'CA',
  aus: 'AU',
  ind: 'IN',
  jpn: 'JP',
  chn: 'CN',
  bra: 'BR',
  mex: 'MX',
  esp: 'ES',
  ita: 'IT',
  nld: 'NL',
  che: 'CH',
  swe: 'SE',
  nor: 'NO',
  dnk: 'DK',
  fin: 'FI',
  pol: 'PL',
  aut: 'AT',
  bel: 'BE',
  irl: 'IE',
  prt: 'PT',
  isr: 'IL',
  sgp: 'SG',
  kor: 'KR',
  'south korea': 'KR',
  zaf: 'ZA',
  nzl: 'NZ',
  are: 'AE',
  uae: 'AE',
  rus: 'RU',
  tur: 'TR',
  'czech republic': 'CZ',
  turkey: 'TR',
  'hong kong': 'HK',
  macao: 'MO',
  macau: 'MO',
  myanmar: 'MM',
  burma: 'MM',
}

function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[.'’]/g, '')
    .replace(/&/g, 'and')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Regions ICU names that are not countries. */
const notCountries = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO', 'XA', 'XB'])

/** ICU also names retired codes (`UK`, `SU`, `FX`, `DD`, …); `Intl.Locale` gives the current one (`GB`, `RU`, …). */
function currentCode(code: string): string {
  const region = new Intl.Locale('und', { region: code }).region
  return region !== undefined && /^[A-Z]{2}$/.test(region) ? region : code
}

function buildTable(): ReadonlyMap<string, string> {
  const table = new Map<string, string>()
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })
  const A = 'A'.charCodeAt(0)
  for (let i = 0; i < 26; i++) {
    for (let j = 0; j < 26; j++) {
      const code = String.fromCharCode(A + i, A + j)
      let name: string | undefined
      try {
        name = names.of(code)
      } catch {
        name = undefined
      }
      if (!name || name === code || notCountries.has(code)) continue
      // A retired code shares its name with the current one ("United Kingdom" is both UK and GB): map both to GB.
      const current = currentCode(code)
      table.set(code.toLowerCase(), current)
      table.set(normalise(name), current)
    }
  }
  for (const [spelling, code] of Object.entries(extraSpellings)) table.set(spelling, code)
  return table
}

let table: ReadonlyMap<string, string> | undefined

/** Returns the alpha-2 code for `US`, `usa`, `United States`, …; undefined when not recognisable. */
export function toCountryCode(raw: string): string | undefined {
  table ??= buildTable()
  return table.get(normalise(raw))
}
