/** Lead files by concept, under lead-files/; this module keeps the older import path working while callers move. */

export {
  countRecorded,
  countSkip,
  createSubmitWindow,
  emptySummary,
  failureOf,
  type ImportSummary,
  idempotencyKeyOf,
  importSummaryText,
  problemCount,
} from './import-summary.ts'
export { csvLine, parseCsvRecord } from './lead-files/csv-dialect.ts'
export { countExportedLeads as countLeads, exportLeads } from './lead-files/export-leads.ts'
export { importLeadFile } from './lead-files/import-lead-file.ts'
export { formatOfPath, type LeadFileFormat, leadFileFormats } from './lead-files/lead-file-columns.ts'
export { countLines, readLeadFile } from './lead-files/read-lead-file.ts'
