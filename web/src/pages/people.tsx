/** People: who may sign in to this tenant and with which role; invite by email, change a role, remove. Admins only. */

import { type FormEvent, useContext, useState } from 'react'
import { type CreatedInvitation, type Person, type Role, roles } from '../api/types.ts'
import { CopyButton, describeError, ErrorNotice, Loading, PageHeader, RoleNote } from '../components/ui.tsx'
import { AccessContext, useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { formatTime } from '../lib/format.ts'
import { useLoad } from '../lib/use-load.ts'

const roleHelp: Readonly<Record<Role, string>> = {
  viewer: 'reads everything',
  editor: 'also offers, replay and alert rules',
  admin: 'also destinations, routes, keys and people',
  owner: 'everything, owners included',
}

export function PeoplePage() {
  // An address typed by hand: a role below admin sees why there is nothing here (the API would answer 403).
  const mayManage = useCan('admin')
  if (!mayManage) {
    return (
      <>
        <PageHeader title="People" />
        <RoleNote needed="admin" what="seeing and managing people" />
      </>
    )
  }
  return <ManagePeople />
}

function ManagePeople() {
  const api = useApi()
  const myRole = useContext(AccessContext)
  const people = useLoad('people', () => api.listPeople())
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<Role>('viewer')
  const [invited, setInvited] = useState<CreatedInvitation>()
  const [status, setStatus] = useState<{ ok: boolean; text: string }>()
  const [busy, setBusy] = useState(false)
  // Only an owner hands out or takes away ownership; the API refuses it to others too.
  const grantable = roles.filter((choice) => choice !== 'owner' || myRole === 'owner')

  async function act(work: () => Promise<string>) {
    setBusy(true)
    setStatus(undefined)
    try {
      setStatus({ ok: true, text: await work() })
      people.reload()
    } catch (error) {
      setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  async function invite(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const address = email.trim()
    if (!address.includes('@')) return setStatus({ ok: false, text: 'Enter the email address to invite.' })
    await act(async () => {
      const created = await api.invite({ email: address, role })
      setInvited(created)
      setEmail('')
      return created.emailed
        ? `Invitation sent to ${created.email}.`
        : `Invitation for ${created.email} made; no email could be sent, pass the link on yourself.`
    })
  }

  return (
    <>
      <PageHeader title="People" />
      {status && (
        <p className={`notice ${status.ok ? 'notice-success' : 'notice-error'}`} role={status.ok ? 'status' : 'alert'}>
          {status.text}
        </p>
      )}
      {invited?.link && (
        <section className="notice notice-warning" aria-labelledby="invitation-link-title">
          <h2 id="invitation-link-title">Invitation link for {invited.email}</h2>
          <p>It works once, until {formatTime(invited.expiresAt)}. It is shown only now.</p>
          <div className="secret-row">
            <label htmlFor="invitation-link">Link</label>
            <input id="invitation-link" readOnly value={invited.link} spellCheck={false} autoComplete="off" />
            <CopyButton text={invited.link} label="Copy link" />
          </div>
        </section>
      )}
      <section className="card" aria-labelledby="people-title">
        <h2 id="people-title">Members</h2>
        {people.error !== undefined && <ErrorNotice error={people.error} onRetry={people.reload} />}
        {people.loading && !people.data && <Loading what="people" />}
        {people.data && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Member since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {people.data.items.map((person: Person) => {
                const locked = person.role === 'owner' && myRole !== 'owner'
                return (
                  <tr key={person.id}>
                    <td data-label="Name">{person.name}</td>
                    <td data-label="Email">{person.email ?? '—'}</td>
                    <td data-label="Role">
                      <label className="visually-hidden" htmlFor={`role-${person.id}`}>
                        Role of {person.name}
                      </label>
                      <select
                        id={`role-${person.id}`}
                        value={person.role}
                        disabled={busy || locked}
                        onChange={(event) =>
                          act(async () => {
                            const next = event.target.value as Role
                            await api.changeRole(person.id, next)
                            return `${person.name} is now ${next}.`
                          })
                        }
                      >
                        {(locked ? roles : grantable).map((choice) => (
                          <option key={choice} value={choice}>
                            {choice}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td data-label="Member since">{formatTime(person.memberSince)}</td>
                    <td>
                      {!locked && (
                        <button
                          type="button"
                          className="button-secondary"
                          disabled={busy}
                          onClick={() => {
                            if (!window.confirm(`Remove ${person.name}? Their sessions end at once.`)) return
                            void act(async () => {
                              await api.removePerson(person.id)
                              return `${person.name} was removed.`
                            })
                          }}
                        >
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="invite-title">
        <h2 id="invite-title">Invite someone</h2>
        <form className="form" onSubmit={invite} noValidate>
          <div className="field">
            <label htmlFor="invite-email">Email</label>
            <input
              id="invite-email"
              type="email"
              autoComplete="off"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
              {grantable.map((choice) => (
                <option key={choice} value={choice}>
                  {choice}: {roleHelp[choice]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={busy}>
            Invite
          </button>
        </form>
      </section>
    </>
  )
}
