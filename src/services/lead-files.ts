/** Lead files by concept, under lead-files/; this module keeps the older import path working while callers move. */

export { exportLeads } from './lead-files/export-leads.ts'
