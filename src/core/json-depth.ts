/** How deeply a JSON value nests, measured without recursion, so that measuring cannot overflow the stack either. */

/** Objects and arrays inside one another that a request body may have: a lead needs 2, a destination's settings 4. */
export const maxBodyDepth = 64

/** True when `value` has more than `limit` levels of objects and arrays (a scalar has none, `{}` and `[]` one). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ readonly value: object; readonly depth: number }> = []
  if (typeof value === 'object' && value !== null) pending.push({ value, depth: 1 })
  while (pending.length > 0) {
    const { value: container, depth } = pending.pop() as { value: object; depth: number }
    if (depth > limit) return true
    for (const member of Array.isArray(container) ? container : Object.values(container)) {
      if (typeof member === 'object' && member !== null) pending.push({ value: member, depth: depth + 1 })
    }
  }
  return false
}
