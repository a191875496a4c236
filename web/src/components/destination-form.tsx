/**
 * A destination's create and edit form, generated from its kind's config JSON Schema and secret fields.
 * Secrets are write-only: the inputs start empty, stored values are never shown, and an empty input keeps them.
 */

import { type FormEvent, type ReactNode, useMemo, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { Destination, DestinationKind, SecretField, SecretValues } from '../api/types.ts'
import {
  applies,
  conditionValues,
  type FieldModel,
  type FieldValue,
  type FormValues,
  fieldOfProblem,
  formOf,
  initialValues,
  leafFields,
  type MapEntry,
  optionLabel,
  toConfig,
  validateAll,
  validateField,
  variantIndexOf,
  visibleFields,
} from '../lib/schema-form.ts'
import { describeError } from './ui.tsx'

export interface DestinationFormValues {
  readonly name: string
  readonly config: Record<string, unknown>
  /** Only the secrets typed in (and header names removed, as null); empty inputs are left out. */
  readonly secrets: SecretValues
}

export interface DestinationFormProps {
  readonly kind: DestinationKind
  /** The stored destination, when editing. */
  readonly destination?: Destination | undefined
  readonly submitLabel: string
  /** Rejects with an ApiError to show the server's verdict next to the field it names. */
  onSubmit(values: DestinationFormValues): Promise<void>
  onCancel?: () => void
}

const idOf = (key: string) => `destination-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`

function describedBy(id: string, help: boolean, error: boolean): string | undefined {
  const ids = [help && `${id}-help`, error && `${id}-error`].filter(Boolean)
  return ids.length > 0 ? ids.join(' ') : undefined
}

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null
  return (
    <p className="field-error" id={`${id}-error`}>
      {message}
    </p>
  )
}

/** Name and value rows, each with Remove, then Add: a header list's entries, plain or secret (values hidden). */
function MapRows({
  label,
  id,
  entries,
  invalid,
  secret = false,
  onChange,
  onBlur,
}: {
  label: string
  id: string
  entries: readonly MapEntry[]
  invalid: boolean
  secret?: boolean
  onChange: (entries: readonly MapEntry[]) => void
  onBlur?: () => void
}) {
  const update = (index: number, patch: Partial<MapEntry>) =>
    onChange(entries.map((entry, at) => (at === index ? { ...entry, ...patch } : entry)))
  return (
    <>
      {entries.map((entry, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own; names may repeat while typed
        <div className="map-row" key={index}>
          <input
            id={index === 0 ? id : undefined}
            aria-label={`${label} ${index + 1}: name`}
            aria-invalid={invalid || undefined}
            value={entry.name}
            placeholder="Name"
            spellCheck={false}
            autoComplete={secret ? 'off' : undefined}
            onChange={(event) => update(index, { name: event.target.value })}
            onBlur={onBlur}
          />
          <input
            type={secret ? 'password' : undefined}
            aria-label={`${label} ${index + 1}: value`}
            aria-invalid={invalid || undefined}
            value={entry.value}
            placeholder="Value"
            spellCheck={false}
            autoComplete={secret ? 'new-password' : 'off'}
            onChange={(event) => update(index, { value: event.target.value })}
            onBlur={onBlur}
          />
          <button
            type="button"
            className="button-secondary"
            aria-label={`Remove ${label.toLowerCase()} ${index + 1}`}
            onClick={() => onChange(entries.filter((_, at) => at !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button-secondary"
        id={entries.length === 0 ? id : undefined}
        onClick={() => onChange([...entries, { name: '', value: '' }])}
      >
        Add {label.toLowerCase().replace(/s$/, '')}
      </button>
    </>
  )
}

function MapInput({
  field,
  id,
  value,
  invalid,
  onChange,
  onBlur,
}: {
  field: FieldModel
  id: string
  value: readonly MapEntry[]
  invalid: boolean
  onChange: (value: readonly MapEntry[]) => void
  onBlur: () => void
}) {
  return (
    <div className="map-input">
      {value.length === 0 && <p className="hint">None.</p>}
      <MapRows label={field.label} id={id} entries={value} invalid={invalid} onChange={onChange} onBlur={onBlur} />
    </div>
  )
}

function SchemaField({
  field,
  value,
  error,
  onChange,
  onBlur,
}: {
  field: FieldModel
  value: FieldValue | undefined
  error: string | undefined
  onChange: (value: FieldValue) => void
  onBlur: () => void
}) {
  const id = idOf(field.key)
  const help = field.description !== undefined || field.default !== undefined || field.kind === 'list'
  const common = {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy(id, help, Boolean(error)),
    'aria-required': field.required || undefined,
    onBlur,
  }
  const shownDefault =
    field.default === undefined || field.kind === 'boolean' || typeof field.default === 'object'
      ? undefined
      : field.kind === 'enum'
        ? optionLabel(field, String(field.default))
        : JSON.stringify(field.default)
  const defaultHint = shownDefault === undefined ? '' : ` Default: ${shownDefault}.`
  const helpText = help ? (
    <p className="hint" id={`${id}-help`}>
      {field.description}
      {defaultHint}
      {field.kind === 'list' ? ' One per line.' : ''}
      {field.nullable ? ' Leave empty for none.' : ''}
    </p>
  ) : null

  if (field.kind === 'boolean') {
    return (
      <div className="field field-checkbox">
        <input
          type="checkbox"
          {...common}
          checked={value === true}
          onChange={(event) => onChange(event.target.checked)}
        />
        <label htmlFor={id}>{field.label}</label>
        {helpText}
      </div>
    )
  }

  const label = (
    <label htmlFor={id}>
      {field.label}
      {field.required ? <span className="required"> (required)</span> : <span className="optional"> (optional)</span>}
    </label>
  )

  if (field.kind === 'map') {
    return (
      <fieldset className="field" aria-describedby={common['aria-describedby']}>
        <legend>{field.label}</legend>
        {helpText}
        <MapInput
          field={field}
          id={id}
          value={(value as readonly MapEntry[] | undefined) ?? []}
          invalid={Boolean(error)}
          onChange={onChange}
          onBlur={onBlur}
        />
        <FieldError id={id} message={error} />
      </fieldset>
    )
  }

  let input: ReactNode
  if (field.kind === 'enum') {
    input = (
      <select {...common} value={String(value ?? '')} onChange={(event) => onChange(event.target.value)}>
        {(value === '' || (!field.required && field.default === undefined)) && (
          <option value="">{field.required ? 'Choose…' : 'Not set'}</option>
        )}
        {field.options?.map((option) => (
          <option key={option} value={option}>
            {optionLabel(field, option)}
          </option>
        ))}
      </select>
    )
  } else if (field.kind === 'json') {
    input = (
      <textarea
        {...common}
        rows={5}
        spellCheck={false}
        className="mono"
        value={String(value ?? '')}
        placeholder={field.jsonType === 'array' ? '[ ]' : '{ }'}
        onChange={(event) => onChange(event.target.value)}
      />
    )
  } else if (field.kind === 'list') {
    input = (
      <textarea
        {...common}
        rows={3}
        spellCheck={false}
        className="mono"
        value={String(value ?? '')}
        onChange={(event) => onChange(event.target.value)}
      />
    )
  } else if (field.kind === 'number') {
    input = (
      <input
        {...common}
        type="text"
        inputMode={field.integer ? 'numeric' : 'decimal'}
        value={String(value ?? '')}
        onChange={(event) => onChange(event.target.value)}
      />
    )
  } else {
    const isUrl = field.format === 'uri' || field.format === 'url'
    input = (
      <input
        {...common}
        type="text"
        inputMode={isUrl ? 'url' : field.format === 'email' ? 'email' : undefined}
        spellCheck={false}
        autoComplete="off"
        placeholder={isUrl ? 'https://' : undefined}
        list={field.options ? `${id}-options` : undefined}
        value={String(value ?? '')}
        onChange={(event) => onChange(event.target.value)}
      />
    )
    if (field.options) {
      input = (
        <>
          {input}
          <datalist id={`${id}-options`}>
            {field.options.map((option) => (
              <option key={option} value={option} />
            ))}
          </datalist>
        </>
      )
    }
  }
  return (
    <div className="field">
      {label}
      {input}
      {helpText}
      <FieldError id={id} message={error} />
    </div>
  )
}

/** Where a header record's stored names are listed on the destination: `headers` → `secretHeaders`. */
function storedNames(destination: Destination | undefined, secret: SecretField): string[] {
  const listed = (destination as Record<string, unknown> | undefined)?.[
    `secret${secret.name.charAt(0).toUpperCase()}${secret.name.slice(1)}`
  ]
  return Array.isArray(listed) ? listed.filter((name): name is string => typeof name === 'string') : []
}

function SecretRecordInput({
  secret,
  id,
  stored,
  removed,
  entries,
  invalid,
  onRemoveStored,
  onChange,
}: {
  secret: SecretField
  id: string
  stored: readonly string[]
  removed: readonly string[]
  entries: readonly MapEntry[]
  invalid: boolean
  onRemoveStored: (name: string, removed: boolean) => void
  onChange: (entries: readonly MapEntry[]) => void
}) {
  return (
    <div className="map-input">
      {stored.length > 0 && (
        <ul className="stored-secrets">
          {stored.map((name) => {
            const gone = removed.includes(name)
            return (
              <li key={name}>
                <span className="mono">{name}</span>{' '}
                {gone ? 'will be removed' : 'stored (type it again below to replace its value)'}{' '}
                <button
                  type="button"
                  className="button-secondary"
                  onClick={() => onRemoveStored(name, !gone)}
                  aria-label={`${gone ? 'Keep' : 'Remove'} stored ${secret.label.toLowerCase()} ${name}`}
                >
                  {gone ? 'Keep' : 'Remove'}
                </button>
              </li>
            )
          })}
        </ul>
      )}
      <MapRows label={secret.label} id={id} entries={entries} invalid={invalid} secret onChange={onChange} />
    </div>
  )
}

export function DestinationForm({ kind, destination, submitLabel, onSubmit, onCancel }: DestinationFormProps) {
  const form = useMemo(() => formOf(kind.configSchema), [kind])
  const editing = destination !== undefined
  const [variantIndex, setVariantIndex] = useState(() => variantIndexOf(form, destination?.config))
  const variant = form.variants[variantIndex] ?? form.variants[0]!
  const [name, setName] = useState(destination?.name ?? '')
  // Every shape keeps what was typed in it, so switching back and forth loses nothing.
  const [values, setValues] = useState<FormValues>(() =>
    Object.assign(
      {},
      ...form.variants.map((each, index) =>
        initialValues(each.fields, index === variantIndex ? destination?.config : undefined),
      ),
    ),
  )
  const [secrets, setSecrets] = useState<Record<string, string>>({})
  const [secretRecords, setSecretRecords] = useState<Record<string, readonly MapEntry[]>>({})
  const [removedNames, setRemovedNames] = useState<Record<string, readonly string[]>>({})
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const current = conditionValues(
    leafFields(variant.fields),
    values,
    form.discriminator && variant.value !== undefined ? { [form.discriminator]: variant.value } : {},
  )
  const shown = visibleFields(variant.fields, current)
  const shownSecrets = kind.secretFields.filter((secret) => applies(secret.when, current))

  const nameError = (text: string) => (text.trim() === '' ? 'Give the destination a name' : undefined)
  const secretError = (fieldName: string, text: string) => {
    const secret = kind.secretFields.find((candidate) => candidate.name === fieldName)
    if (!secret || editing || secret.generated || !secret.required || secret.headerRecord) return undefined
    return text.trim() === '' ? `${secret.label} is required` : undefined
  }

  function setError(key: string, message: string | undefined) {
    setErrors((previous) => {
      const next = { ...previous }
      if (message) next[key] = message
      else delete next[key]
      return next
    })
  }

  function change(field: FieldModel, value: FieldValue) {
    setValues((previous) => ({ ...previous, [field.key]: value }))
    // Once a field has shown an error, it updates as the publisher types.
    if (errors[field.key]) setError(field.key, validateField(field, value))
  }

  function typedSecrets(): SecretValues {
    const typed: SecretValues = {}
    for (const secret of shownSecrets) {
      if (secret.headerRecord) {
        const record: Record<string, string | null> = {}
        for (const removed of removedNames[secret.name] ?? []) record[removed] = null
        for (const entry of secretRecords[secret.name] ?? []) {
          if (entry.name.trim() !== '' && entry.value !== '') record[entry.name.trim()] = entry.value
        }
        if (Object.keys(record).length > 0) typed[secret.name] = record
      } else {
        const text = secrets[secret.name] ?? ''
        // A PEM key keeps its line breaks; other secrets lose stray spaces around them.
        if (text.trim() !== '') typed[secret.name] = secret.multiline ? text : text.trim()
      }
    }
    return typed
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setFormError(undefined)
    const badName = nameError(name)
    const found: Record<string, string> = { ...(badName && { name: badName }), ...validateAll(shown, values) }
    for (const secret of shownSecrets) {
      const message = secretError(secret.name, secrets[secret.name] ?? '')
      if (message) found[`secret:${secret.name}`] = message
    }
    setErrors(found)
    const first = Object.keys(found)[0]
    if (first) {
      document.getElementById(first === 'name' ? 'destination-name' : idOf(first))?.focus()
      return
    }
    const config = {
      ...(form.discriminator && variant.value !== undefined && { [form.discriminator]: variant.value }),
      ...toConfig(shown, values),
    }
    setBusy(true)
    try {
      await onSubmit({ name: name.trim(), config, secrets: typedSecrets() })
      setSecrets({})
      setSecretRecords({})
      setRemovedNames({})
    } catch (error) {
      const keys = leafFields(shown).map((field) => field.key)
      const target = error instanceof ApiError ? fieldOfProblem(error.field, keys) : undefined
      if (target && (target === 'name' || target.startsWith('secret:') || keys.includes(target))) {
        setErrors({
          [target]: error instanceof ApiError ? error.message.replace(/^(config|secrets)\.[^:]+:\s*/, '') : '',
        })
        document.getElementById(target === 'name' ? 'destination-name' : idOf(target))?.focus()
      } else {
        setFormError(describeError(error))
      }
    } finally {
      setBusy(false)
    }
  }

  function renderFields(fields: readonly FieldModel[]): ReactNode {
    return fields.map((field) =>
      field.kind === 'object' ? (
        <fieldset className="field group nested" key={field.key}>
          <legend>{field.label}</legend>
          {field.description && <p className="hint">{field.description}</p>}
          {renderFields(field.fields ?? [])}
        </fieldset>
      ) : (
        <SchemaField
          key={field.key}
          field={field}
          value={values[field.key]}
          error={errors[field.key]}
          onChange={(value) => change(field, value)}
          onBlur={() => setError(field.key, validateField(field, values[field.key]))}
        />
      ),
    )
  }

  return (
    <form className="form destination-form" onSubmit={submit} noValidate aria-busy={busy}>
      <div className="field">
        <label htmlFor="destination-name">
          Name <span className="required">(required)</span>
        </label>
        <input
          id="destination-name"
          value={name}
          autoComplete="off"
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? 'destination-name-error' : 'destination-name-help'}
          onChange={(event) => {
            setName(event.target.value)
            if (errors.name) setError('name', nameError(event.target.value))
          }}
          onBlur={() => setError('name', nameError(name))}
        />
        <p className="hint" id="destination-name-help">
          Shown in the portal and in notifications, e.g. “Sales CRM webhook”.
        </p>
        <FieldError id="destination-name" message={errors.name} />
      </div>

      {form.variants.length > 1 && (
        <fieldset className="group choice">
          <legend>{form.choiceLabel}</legend>
          {form.variants.map((each, index) => (
            <div className="field field-checkbox" key={each.value ?? index}>
              <input
                type="radio"
                id={idOf(`variant-${index}`)}
                name="destination-variant"
                checked={index === variantIndex}
                aria-describedby={each.description ? `${idOf(`variant-${index}`)}-help` : undefined}
                onChange={() => {
                  setVariantIndex(index)
                  setErrors({})
                }}
              />
              <label htmlFor={idOf(`variant-${index}`)}>{each.label}</label>
              {each.description && (
                <p className="hint" id={`${idOf(`variant-${index}`)}-help`}>
                  {each.description}
                </p>
              )}
            </div>
          ))}
        </fieldset>
      )}

      <fieldset className="group">
        <legend>
          {kind.displayName} settings{form.variants.length > 1 ? ` (${variant.label})` : ''}
        </legend>
        {shown.length === 0 ? <p className="hint">Nothing to set.</p> : renderFields(shown)}
      </fieldset>

      {shownSecrets.length > 0 && (
        <fieldset className="group">
          <legend>Credentials</legend>
          <p className="hint">
            Secrets are write-only: Leadrelay encrypts them and never shows them again.
            {editing && ' Leave a field empty to keep the stored secret.'}
          </p>
          {shownSecrets.map((secret) => {
            const key = `secret:${secret.name}`
            const id = idOf(key)
            const required = !editing && secret.required && !secret.generated && !secret.headerRecord
            const label = (
              <>
                {secret.label}
                {required ? (
                  <span className="required"> (required)</span>
                ) : (
                  <span className="optional"> (optional)</span>
                )}
              </>
            )
            const help = secret.help && (
              <p className="hint" id={`${id}-help`}>
                {secret.help}
              </p>
            )
            if (secret.headerRecord) {
              return (
                <fieldset className="field" key={secret.name} aria-describedby={secret.help ? `${id}-help` : undefined}>
                  <legend>{secret.label}</legend>
                  {help}
                  <SecretRecordInput
                    secret={secret}
                    id={id}
                    stored={storedNames(destination, secret)}
                    removed={removedNames[secret.name] ?? []}
                    entries={secretRecords[secret.name] ?? []}
                    invalid={Boolean(errors[key])}
                    onRemoveStored={(header, remove) =>
                      setRemovedNames((previous) => {
                        const rest = (previous[secret.name] ?? []).filter((each) => each !== header)
                        return { ...previous, [secret.name]: remove ? [...rest, header] : rest }
                      })
                    }
                    onChange={(entries) => setSecretRecords((previous) => ({ ...previous, [secret.name]: entries }))}
                  />
                  <FieldError id={id} message={errors[key]} />
                </fieldset>
              )
            }
            const common = {
              id,
              spellCheck: false,
              value: secrets[secret.name] ?? '',
              placeholder:
                editing && destination?.hasSecrets ? 'Stored — leave empty to keep the stored secret' : undefined,
              'aria-invalid': errors[key] ? true : undefined,
              'aria-required': required || undefined,
              'aria-describedby': describedBy(id, Boolean(secret.help), Boolean(errors[key])),
              onBlur: () => setError(key, secretError(secret.name, secrets[secret.name] ?? '')),
            }
            const onText = (text: string) => {
              setSecrets((previous) => ({ ...previous, [secret.name]: text }))
              if (errors[key]) setError(key, secretError(secret.name, text))
            }
            return (
              <div className="field" key={secret.name}>
                <label htmlFor={id}>{label}</label>
                {secret.multiline ? (
                  <textarea
                    {...common}
                    rows={6}
                    className="mono secret-text"
                    autoComplete="off"
                    onChange={(event) => onText(event.target.value)}
                  />
                ) : (
                  <input
                    {...common}
                    type="password"
                    autoComplete="new-password"
                    onChange={(event) => onText(event.target.value)}
                  />
                )}
                {help}
                <FieldError id={id} message={errors[key]} />
              </div>
            )
          })}
        </fieldset>
      )}

      {Object.keys(errors).length > 0 && (
        <p className="field-error" role="alert">
          Please fix the {Object.keys(errors).length === 1 ? 'field' : 'fields'} marked above.
        </p>
      )}
      {formError && (
        <div className="notice notice-error" role="alert">
          {formError}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button-secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  )
}
