/**
 * A destination's create and edit form, generated from its kind's config JSON Schema and secret fields.
 * Secrets are write-only: the inputs start empty, stored values are never shown, and an empty input keeps them.
 */

import { type FormEvent, type ReactNode, useMemo, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { Destination, DestinationKind } from '../api/types.ts'
import {
  type FieldModel,
  type FieldValue,
  type FormValues,
  fieldOfProblem,
  fieldsOf,
  initialValues,
  type MapEntry,
  toConfig,
  validateAll,
  validateField,
} from '../lib/schema-form.ts'
import { describeError } from './ui.tsx'

export interface DestinationFormValues {
  readonly name: string
  readonly config: Record<string, unknown>
  /** Only the secrets typed in; empty inputs are left out. */
  readonly secrets: Record<string, string>
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
  const update = (index: number, patch: Partial<MapEntry>) =>
    onChange(value.map((entry, at) => (at === index ? { ...entry, ...patch } : entry)))
  return (
    <div className="map-input">
      {value.length === 0 && <p className="hint">None.</p>}
      {value.map((entry, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own; names may repeat while typed
        <div className="map-row" key={index}>
          <input
            id={index === 0 ? id : undefined}
            aria-label={`${field.label} ${index + 1}: name`}
            aria-invalid={invalid || undefined}
            value={entry.name}
            placeholder="Name"
            spellCheck={false}
            onChange={(event) => update(index, { name: event.target.value })}
            onBlur={onBlur}
          />
          <input
            aria-label={`${field.label} ${index + 1}: value`}
            aria-invalid={invalid || undefined}
            value={entry.value}
            placeholder="Value"
            spellCheck={false}
            autoComplete="off"
            onChange={(event) => update(index, { value: event.target.value })}
            onBlur={onBlur}
          />
          <button
            type="button"
            className="button-secondary"
            aria-label={`Remove ${field.label.toLowerCase()} ${index + 1}`}
            onClick={() => onChange(value.filter((_, at) => at !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button-secondary"
        id={value.length === 0 ? id : undefined}
        onClick={() => onChange([...value, { name: '', value: '' }])}
      >
        Add {field.label.toLowerCase().replace(/s$/, '')}
      </button>
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
  const help = field.description !== undefined || field.default !== undefined
  const common = {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy(id, help, Boolean(error)),
    'aria-required': field.required || undefined,
    onBlur,
  }
  const defaultHint =
    field.default !== undefined && field.kind !== 'boolean' ? ` Default: ${JSON.stringify(field.default)}.` : ''
  const helpText = help ? (
    <p className="hint" id={`${id}-help`}>
      {field.description}
      {defaultHint}
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
        {(!field.required || value === '') && <option value="">{field.required ? 'Choose…' : 'Not set'}</option>}
        {field.options?.map((option) => (
          <option key={option} value={option}>
            {option}
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
        value={String(value ?? '')}
        onChange={(event) => onChange(event.target.value)}
      />
    )
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

export function DestinationForm({ kind, destination, submitLabel, onSubmit, onCancel }: DestinationFormProps) {
  const fields = useMemo(() => fieldsOf(kind.configSchema), [kind])
  const editing = destination !== undefined
  const [name, setName] = useState(destination?.name ?? '')
  const [values, setValues] = useState<FormValues>(() => initialValues(fields, destination?.config))
  const [secrets, setSecrets] = useState<Record<string, string>>({})
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const nameError = (text: string) => (text.trim() === '' ? 'Give the destination a name' : undefined)
  const secretError = (fieldName: string, text: string) => {
    const secret = kind.secretFields.find((candidate) => candidate.name === fieldName)
    if (!secret || editing || secret.generated || !secret.required) return undefined
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

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setFormError(undefined)
    const badName = nameError(name)
    const found: Record<string, string> = { ...(badName && { name: badName }), ...validateAll(fields, values) }
    for (const secret of kind.secretFields) {
      const message = secretError(secret.name, secrets[secret.name] ?? '')
      if (message) found[`secret:${secret.name}`] = message
    }
    setErrors(found)
    const first = Object.keys(found)[0]
    if (first) {
      document.getElementById(first === 'name' ? 'destination-name' : idOf(first))?.focus()
      return
    }
    const typedSecrets = Object.fromEntries(Object.entries(secrets).filter(([, value]) => value.trim() !== ''))
    setBusy(true)
    try {
      await onSubmit({ name: name.trim(), config: toConfig(fields, values), secrets: typedSecrets })
      setSecrets({})
    } catch (error) {
      const target = error instanceof ApiError ? fieldOfProblem(error.field) : undefined
      if (target && (target === 'name' || target.startsWith('secret:') || fields.some((f) => f.key === target))) {
        setErrors({ [target]: error instanceof ApiError ? error.message.replace(/^config\.[^:]+:\s*/, '') : '' })
        document.getElementById(target === 'name' ? 'destination-name' : idOf(target))?.focus()
      } else {
        setFormError(describeError(error))
      }
    } finally {
      setBusy(false)
    }
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

      <fieldset className="group">
        <legend>{kind.displayName} settings</legend>
        {fields.map((field) => (
          <SchemaField
            key={field.key}
            field={field}
            value={values[field.key]}
            error={errors[field.key]}
            onChange={(value) => change(field, value)}
            onBlur={() => setError(field.key, validateField(field, values[field.key]))}
          />
        ))}
      </fieldset>

      {kind.secretFields.length > 0 && (
        <fieldset className="group">
          <legend>Secrets</legend>
          <p className="hint">
            Secrets are write-only: Leadrelay encrypts them and never shows them again.
            {editing && ' Leave a field empty to keep the stored value.'}
          </p>
          {kind.secretFields.map((secret) => {
            const key = `secret:${secret.name}`
            const id = idOf(key)
            const required = !editing && secret.required && !secret.generated
            return (
              <div className="field" key={secret.name}>
                <label htmlFor={id}>
                  {secret.label}
                  {required ? (
                    <span className="required"> (required)</span>
                  ) : (
                    <span className="optional"> (optional)</span>
                  )}
                </label>
                <input
                  id={id}
                  type="password"
                  autoComplete="new-password"
                  spellCheck={false}
                  value={secrets[secret.name] ?? ''}
                  placeholder={editing && destination?.hasSecrets ? 'Stored — type a new value to replace it' : ''}
                  aria-invalid={errors[key] ? true : undefined}
                  aria-describedby={describedBy(id, Boolean(secret.help), Boolean(errors[key]))}
                  onChange={(event) => {
                    const text = event.target.value
                    setSecrets((previous) => ({ ...previous, [secret.name]: text }))
                    if (errors[key]) setError(key, secretError(secret.name, text))
                  }}
                  onBlur={() => setError(key, secretError(secret.name, secrets[secret.name] ?? ''))}
                />
                {secret.help && (
                  <p className="hint" id={`${id}-help`}>
                    {secret.help}
                  </p>
                )}
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
