/**
 * What `verify` learns from `GET /sobjects/Lead/describe`: whether the fields the destination writes exist and
 * the integration user may write them. A real org's Lead describe is often larger than the HTTP client reads
 * (64 KiB), so a cut-off answer is read field by field as far as it goes; fields past the cut are checked by the
 * caller with a SOQL probe instead.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
 */

export interface DescribedField {
  readonly name: string
  readonly type?: string
  readonly length?: number
  readonly externalId?: boolean
  readonly createable?: boolean
  readonly updateable?: boolean
  readonly restrictedPicklist?: boolean
  readonly picklistValues?: readonly { readonly value?: string; readonly active?: boolean }[]
}

export interface LeadDescription {
  readonly createable?: boolean
  readonly updateable?: boolean
  readonly fields: ReadonlyMap<string, DescribedField>
  /** False when the answer was cut off: a field missing from `fields` may still exist. */
  readonly complete: boolean
}

function toField(value: unknown): DescribedField | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const field = value as DescribedField
  return typeof field.name === 'string' ? field : undefined
}

function fieldsByName(list: readonly unknown[]): Map<string, DescribedField> {
  const fields = new Map<string, DescribedField>()
  for (const entry of list) {
    const field = toField(entry)
    if (field) fields.set(field.name, field)
  }
  return fields
}

/** The complete objects at the top level of the JSON array starting at `start` (its `[`), up to the text's end. */
function completeArrayObjects(text: string, start: number): unknown[] {
  const objects: unknown[] = []
  let depth = 0
  let inString = false
  let objectStart = -1
  for (let i = start + 1; i < text.length; i++) {
    const char = text[i]
    if (inString) {
      if (char === '\\') i++
      else if (char === '"') inString = false
      continue
    }
    if (char === '"') inString = true
    else if (char === '{' || char === '[') {
      if (depth === 0 && char === '{') objectStart = i
      depth++
    } else if (char === '}' || char === ']') {
      if (depth === 0) break
      depth--
      if (depth === 0 && char === '}' && objectStart >= 0) {
        try {
          objects.push(JSON.parse(text.slice(objectStart, i + 1)))
        } catch {
          // Not a whole object after all: ignore it.
        }
        objectStart = -1
      }
    }
  }
  return objects
}

function topLevelFlag(prefix: string, name: string): boolean | undefined {
  const match = new RegExp(`"${name}"\\s*:\\s*(true|false)`).exec(prefix)
  return match ? match[1] === 'true' : undefined
}

/** Reads a describe answer; undefined when it is not one. */
export function parseLeadDescribe(body: string, truncated: boolean): LeadDescription | undefined {
  if (!truncated) {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return undefined
    }
    const answer = parsed as { createable?: unknown; updateable?: unknown; fields?: unknown }
    if (typeof answer !== 'object' || answer === null || !Array.isArray(answer.fields)) return undefined
    return {
      ...(typeof answer.createable === 'boolean' && { createable: answer.createable }),
      ...(typeof answer.updateable === 'boolean' && { updateable: answer.updateable }),
      fields: fieldsByName(answer.fields),
      complete: true,
    }
  }
  const at = /"fields"\s*:\s*\[/.exec(body)
  if (!at) return undefined
  // Keys come in alphabetical order: the object's own flags precede `fields`; childRelationships has neither.
  const prefix = body.slice(0, at.index)
  const createable = topLevelFlag(prefix, 'createable')
  const updateable = topLevelFlag(prefix, 'updateable')
  return {
    ...(createable !== undefined && { createable }),
    ...(updateable !== undefined && { updateable }),
    fields: fieldsByName(completeArrayObjects(body, at.index + at[0].length - 1)),
    complete: false,
  }
}

/** Leadrelay lead ids are `lead_` + 26 characters; a shorter external id field would reject every lead. */
export const leadIdLength = 31

const textTypes = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist'])

export interface DescribeNeeds {
  /** matchBy externalId: the upsert key field. */
  readonly externalIdField?: string
  /** Every field the map writes (the source field included). */
  readonly writtenFields: readonly string[]
  /** The source field, which must hold text. */
  readonly sourceField?: string
  /** A LeadSource constant, checked against a restricted picklist. */
  readonly leadSource?: string
}

/** Problems found, each saying how to fix it; and the fields a cut-off answer did not reach. */
export function describeProblems(
  description: LeadDescription,
  needs: DescribeNeeds,
): { problems: string[]; unseen: string[] } {
  const problems: string[] = []
  const unseen: string[] = []
  const lookup = (name: string): DescribedField | undefined => {
    const field = description.fields.get(name)
    if (!field && !description.complete) unseen.push(name)
    return field
  }
  if (description.createable === false || description.updateable === false) {
    problems.push(
      'The integration user may not create and edit Leads: grant Read, Create and Edit on Lead in its permission set.',
    )
  }
  if (needs.externalIdField) {
    const name = needs.externalIdField
    const field = lookup(name)
    if (!field && description.complete) {
      problems.push(
        `Lead has no field ${name} (or the integration user cannot see it): create a Text(64) field with API name ${name}, tick External ID and Unique, and give the user edit access to it; or set matchBy: "email".`,
      )
    } else if (field) {
      if (field.externalId !== true) {
        problems.push(`${name} is not an External ID field: edit it and tick External ID (and Unique).`)
      }
      if (field.type !== undefined && field.type !== 'string') {
        problems.push(`${name} is a ${field.type} field; it must be Text, since it holds Leadrelay's lead id.`)
      } else if (field.length !== undefined && field.length < leadIdLength) {
        problems.push(`${name} holds ${field.length} characters; lead ids need ${leadIdLength}: make it Text(64).`)
      }
      if (field.createable === false || field.updateable === false) {
        problems.push(`The integration user cannot write ${name}: grant it edit access (field-level security).`)
      }
    }
  }
  for (const name of needs.writtenFields) {
    const field = lookup(name)
    if (!field) {
      if (description.complete) {
        problems.push(
          `Lead has no field ${name} (or the integration user cannot see it): create it, grant the user access to it, or remove it from fieldMap.`,
        )
      }
      continue
    }
    if (field.createable === false || field.updateable === false) {
      problems.push(
        `The integration user cannot write ${name}: grant it edit access (field-level security), or remove it from fieldMap.`,
      )
    }
    if (name === needs.sourceField && field.type !== undefined && !textTypes.has(field.type)) {
      problems.push(`sourceField ${name} is a ${field.type} field; choose a text field.`)
    }
    if (name === 'LeadSource' && needs.leadSource !== undefined && field.restrictedPicklist === true) {
      const active = (field.picklistValues ?? []).filter((value) => value.active !== false).map((value) => value.value)
      if (!active.includes(needs.leadSource)) {
        problems.push(
          `"${needs.leadSource}" is not a value of the restricted LeadSource picklist: add it in Setup (Lead → Fields → Lead Source), or set leadSource to one of its values, or to null.`,
        )
      }
    }
  }
  return { problems, unseen: [...new Set(unseen)] }
}
