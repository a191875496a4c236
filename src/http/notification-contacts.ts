import { z } from 'zod'

/** Who hears about a destination being paused, disabled or recovering. */
export const notificationContacts = z.strictObject({
  emails: z.array(z.email()).max(20).default([]),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
})
