/** The signed-in API client, for every page. */

import { createContext, useContext } from 'react'
import type { ApiClient } from '../api/client.ts'

export const ApiContext = createContext<ApiClient | undefined>(undefined)

export function useApi(): ApiClient {
  const client = useContext(ApiContext)
  if (!client) throw new Error('useApi outside a signed-in portal')
  return client
}
