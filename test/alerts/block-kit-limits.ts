/**
 * Block Kit's documented limits, checked on a payload as Slack would receive it:
 * https://api.slack.com/reference/block-kit/blocks (50 blocks per message; header text 150; section text 3000,
 * at most 10 fields of 2000 each; context at most 10 elements; actions at most 25 elements)
 * https://api.slack.com/reference/block-kit/block-elements#button (text 75, url 3000, action_id 255)
 * https://api.slack.com/reference/block-kit/composition-objects#text (type plain_text or mrkdwn)
 */

type Json = any

export function blockKitViolations(payload: Json): string[] {
  const problems: string[] = []
  const length = (text: unknown) => (typeof text === 'string' ? text.length : Number.NaN)
  const textObject = (where: string, object: Json, max: number, types = ['plain_text', 'mrkdwn']) => {
    if (!object || !types.includes(object.type)) problems.push(`${where}: text type ${object?.type}`)
    const size = length(object?.text)
    if (!(size >= 1 && size <= max)) problems.push(`${where}: text length ${size} (1..${max})`)
  }
  if (typeof payload.text !== 'string' || payload.text.length === 0) problems.push('no fallback text')
  const blocks: Json[] = payload.blocks ?? []
  if (blocks.length > 50) problems.push(`${blocks.length} blocks`)
  for (const [index, block] of blocks.entries()) {
    const where = `blocks[${index}] ${block.type}`
    switch (block.type) {
      case 'header':
        textObject(where, block.text, 150, ['plain_text'])
        break
      case 'section':
        if (!block.text && !block.fields) problems.push(`${where}: neither text nor fields`)
        if (block.text) textObject(where, block.text, 3000)
        if (block.fields) {
          if (block.fields.length > 10) problems.push(`${where}: ${block.fields.length} fields`)
          for (const [at, field] of (block.fields as Json[]).entries()) textObject(`${where} field ${at}`, field, 2000)
        }
        break
      case 'context':
        if (block.elements.length > 10) problems.push(`${where}: ${block.elements.length} elements`)
        for (const [at, element] of (block.elements as Json[]).entries())
          textObject(`${where} element ${at}`, element, 3000)
        break
      case 'actions':
        if (block.elements.length > 25) problems.push(`${where}: ${block.elements.length} elements`)
        for (const element of block.elements) {
          if (element.type !== 'button') problems.push(`${where}: ${element.type}`)
          textObject(`${where} button`, element.text, 75, ['plain_text'])
          if (!(length(element.url) <= 3000)) problems.push(`${where}: url length ${length(element.url)}`)
          if (element.action_id !== undefined && !(length(element.action_id) <= 255))
            problems.push(`${where}: action_id`)
        }
        break
      default:
        problems.push(`${where}: unexpected block type`)
    }
  }
  return problems
}
