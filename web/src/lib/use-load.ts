/** Loads data for a page and reloads on demand; the last answer wins when inputs change quickly. */

import { useCallback, useEffect, useRef, useState } from 'react'

export interface Loaded<T> {
  readonly data: T | undefined
  readonly error: unknown
  readonly loading: boolean
  reload(): void
}

/** `key` names the inputs of `load`: it runs again whenever the key changes. */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  })
  const [round, setRound] = useState(0)
  const loader = useRef(load)
  loader.current = load

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names the loader's inputs; `round` asks for a reload
  useEffect(() => {
    let current = true
    setState((previous) => ({ ...previous, loading: true, error: undefined }))
    loader.current().then(
      (data) => {
        if (current) setState({ data, error: undefined, loading: false })
      },
      (error: unknown) => {
        if (current) setState((previous) => ({ data: previous.data, error, loading: false }))
      },
    )
    return () => {
      current = false
    }
  }, [key, round])

  const reload = useCallback(() => setRound((n) => n + 1), [])
  return { ...state, reload }
}
