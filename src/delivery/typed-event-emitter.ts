/**
 * A small synchronous event emitter typed by an event map: `on('claimed', listener)` accepts only a listener of the
 * claimed event's payload. A listener that throws is cut off from the emitter's caller: what observes the work (logs,
 * metrics, notices) can never stop the work itself.
 */

/** An event map: one property per event name, its type the payload. An interface will do. */
export type EventMap = object

export type Listener<Payload> = (payload: Payload) => void

/** What subscribers see: listening only. */
export interface EventSource<Events extends EventMap> {
  /** Answers a function that removes the listener again. */
  on<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void
}

export interface EventEmitter<Events extends EventMap> extends EventSource<Events> {
  emit<Name extends keyof Events>(name: Name, payload: Events[Name]): void
}

export function createEventEmitter<Events extends EventMap>(
  onListenerError: (error: unknown, name: keyof Events) => void = () => {},
): EventEmitter<Events> {
  const listeners = new Map<keyof Events, Set<Listener<never>>>()
  return {
    on(name, listener) {
      const set = listeners.get(name) ?? new Set()
      set.add(listener as Listener<never>)
      listeners.set(name, set)
      return () => {
        set.delete(listener as Listener<never>)
      }
    },
    emit(name, payload) {
      const set = listeners.get(name)
      if (!set) return
      for (const listener of set) {
        try {
          ;(listener as Listener<typeof payload>)(payload)
        } catch (error) {
          onListenerError(error, name)
        }
      }
    },
  }
}
