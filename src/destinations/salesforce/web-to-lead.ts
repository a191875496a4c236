/**
 * The Web-to-Lead mode: the form post Microsoft's own Salesforce connector makes, needing only the org id. It is
 * a fallback: the servlet answers 200 whether or not it created a Lead, cannot update one (every delivery, retry
 * and replay may add a Lead), and takes 500 leads a day.
 * https://help.salesforce.com/s/articleView?id=sf.setting_up_web-to-lead.htm
 */

import { DeliveryError } from '../../core/errors.ts'
import type { HttpResponse } from '../http-client.ts'
import { classifyHttpStatus } from '../http-errors.ts'
import type { Connector, ConnectorDeps } from '../types.ts'
import { getUrl, postWebToLead } from './client.ts'
import type { SalesforceWebToLeadConfig } from './config.ts'
import { toDeliveryError } from './errors.ts'
import { webToLeadFieldMap, webToLeadForm } from './field-map.ts'

export const webToLeadNote =
  'Posted to Web-to-Lead. Salesforce does not confirm whether it created the Lead; failures reach the Default Lead Creator by email.'

export function connectSalesforceWebToLead(config: SalesforceWebToLeadConfig, deps: ConnectorDeps): Connector {
  const { http, clock } = deps
  const map = webToLeadFieldMap(config)

  function failureOf(response: HttpResponse): DeliveryError {
    if (response.status === 404) {
      return new DeliveryError(
        'misconfigured',
        'The Web-to-Lead address answered HTTP 404: check servletUrl (normally https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8).',
        { status: 404 },
      )
    }
    return classifyHttpStatus(response, clock.now())!
  }

  return {
    async verify(signal) {
      let response: HttpResponse
      try {
        response = await getUrl(http, { url: config.servletUrl, signal, timeoutMs: config.timeoutMs })
      } catch (error) {
        throw toDeliveryError(error)
      }
      // The servlet takes POSTs; any answer short of an error proves the address serves something.
      if (response.status < 400 || response.status === 405) return
      throw failureOf(response)
    },

    async deliver(snapshot, attempt) {
      let response: HttpResponse
      try {
        response = await postWebToLead(http, {
          url: config.servletUrl,
          body: webToLeadForm(map, snapshot, config),
          signal: attempt.signal,
          timeoutMs: config.timeoutMs,
        })
      } catch (error) {
        throw toDeliveryError(error)
      }
      if (response.status >= 200 && response.status <= 299) return { status: response.status, note: webToLeadNote }
      throw failureOf(response)
    },

    preview(snapshot) {
      return {
        method: 'POST',
        url: config.servletUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: webToLeadForm(map, snapshot, config),
      }
    },
  }
}
