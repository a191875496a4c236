/** Runs before every portal component test file (vitest.config.ts, project "web"). */

import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'

afterEach(() => {
  cleanup()
  window.sessionStorage.clear()
})
