/**
 * The public API's types, generated from /openapi.json by openapi-typescript (`npm run api-types`). Do not edit:
 * change the route's zod declaration in src/http/routes and regenerate. `npm run check` fails when this is stale.
 */

export interface paths {
    readonly "/healthz": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Readiness: 200 when the store answers, else 503 NOT_READY */
        readonly get: operations["getHealth"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/tenant": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The tenant this key or person acts for, and what the caller may do */
        readonly get: operations["getTenant"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/tenants": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The tenants the caller may act for, oldest first: every tenant for an operator (a tenant-less admin key or a person in LEADRELAY_OPERATOR_EMAILS), who picks one with Leadrelay-Tenant; its own tenant for anyone else */
        readonly get: operations["listTenants"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/tenant/notifications": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Who hears about destinations being paused, disabled or recovering */
        readonly get: operations["getNotificationContacts"];
        /** Set the notification contacts */
        readonly put: operations["setNotificationContacts"];
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/ingest/microsoft/{token}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Microsoft's HTTPS-endpoint lead destination; paste this URL into Partner Center */
        readonly post: operations["ingestMicrosoftLead"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/leads": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * List leads: filtered, sorted (default: most recent activity first), counted, cursor-paged
         * @description Every filter, the sort and the count run in the database, each served by an index. `q` matches leads whose full name, last name, company, email or email domain starts with it (trimmed, lower-cased). `email` and `emailDomain` match exactly, case-insensitively; `since`/`until` bound the last activity. `sort` is lastActivity, createdAt, name or company; `order` defaults to desc for times and asc for names; ties go by lead id. `nextCursor` continues the same filter and sort only. `total` counts the matching leads exactly up to 10,000; beyond that it is 10,000 with `totalIsEstimate: true` (meaning "more than").
         */
        readonly get: operations["listLeads"];
        readonly put?: never;
        /** Send a lead */
        readonly post: operations["sendLead"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/leads/export.csv": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The leads matching the list filters as CSV, one row per event, streamed (docs/import-export.md) */
        readonly get: operations["exportLeads"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/funnel": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Funnel for an offer and period: customers per step (trial: only those who had one), conversion, by source with an all-sources total (withEvent), and leads per day or week (overTime) */
        readonly get: operations["getFunnel"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/leads/{leadId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** One lead with its event history and every delivery with its attempts */
        readonly get: operations["getLead"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/offers/{offerId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** One offer */
        readonly get: operations["getOffer"];
        /** Create or replace an offer; waiting leads join it; dryRun previews */
        readonly put: operations["putOffer"];
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/offers": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** List offers */
        readonly get: operations["listOffers"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/offers/{offerId}/publish": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Verify each routed destination and send it a test lead; live if all pass */
        readonly post: operations["publishOffer"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/destinations": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** List destinations with their health */
        readonly get: operations["listDestinations"];
        readonly put?: never;
        /** Create a destination; generated secrets are in this answer only */
        readonly post: operations["createDestination"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/destinations/{destinationId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** One destination (never its secrets) */
        readonly get: operations["getDestination"];
        readonly put?: never;
        readonly post?: never;
        /** Delete a destination; its pending deliveries end dead */
        readonly delete: operations["deleteDestination"];
        readonly options?: never;
        readonly head?: never;
        /** Change a destination; a paused or disabled one resumes */
        readonly patch: operations["updateDestination"];
        readonly trace?: never;
    };
    readonly "/v1/destinations/{destinationId}/verify": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Test connection: an authenticated check, then one test lead */
        readonly post: operations["verifyDestination"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/destinations/{destinationId}/attempts": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The destination's delivery log: attempts newest first, each with its lead, and the success rate over 24 h and 7 days */
        readonly get: operations["listDestinationAttempts"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/destination-kinds": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Destination kinds with their config JSON Schema and secret fields */
        readonly get: operations["listDestinationKinds"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/destinations/{destinationId}/preview/{leadId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The exact payload the destination would get for a lead */
        readonly get: operations["previewDestinationPayload"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/destinations/{destinationId}/rotate-secrets": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** New secrets; the old signing secret stays valid 24 h */
        readonly post: operations["rotateDestinationSecrets"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/routes/default": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The tenant's default route */
        readonly get: operations["getDefaultRoute"];
        /** Destinations for leads of offers without their own; dryRun previews */
        readonly put: operations["putDefaultRoute"];
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/deliveries": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Deliveries, newest first, filtered by state, destination, lead, reason and time; each with its lead (customer, offer title); total exact up to 10,000 */
        readonly get: operations["listDeliveries"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/deliveries/troubles": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Dead and failing deliveries counted per destination and reason */
        readonly get: operations["listDeliveryTroubles"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/deliveries/{deliveryId}/retry": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Make a queued delivery due now (audited); a destination held by a rate limit, paused or disabled still waits: destinationHeldUntil and destinationState say so */
        readonly post: operations["retryDelivery"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/deliveries/{deliveryId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** One delivery with every attempt */
        readonly get: operations["getDelivery"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/deliveries/replay": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Queue final deliveries again, by ids or by filter (audited) */
        readonly post: operations["replayDeliveries"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/audit": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Who changed destinations, routing, publishes, notification contacts and keys, newest first; each target with its current name (targetName) */
        readonly get: operations["listAudit"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-channel-kinds": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Alert channel kinds with their config JSON Schema and secret fields */
        readonly get: operations["listAlertChannelKinds"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-channels": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Alert channels: Teams, Slack, email, signed webhook (never their secrets) */
        readonly get: operations["listAlertChannels"];
        readonly put?: never;
        /** Create an alert channel; secrets are write-only, generated ones are in this answer only */
        readonly post: operations["createAlertChannel"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-channels/{channelId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** One alert channel (never its secrets) */
        readonly get: operations["getAlertChannel"];
        readonly put?: never;
        readonly post?: never;
        /** Delete an alert channel no rule uses (audited) */
        readonly delete: operations["deleteAlertChannel"];
        readonly options?: never;
        readonly head?: never;
        /** Change an alert channel; given secrets replace stored ones */
        readonly patch: operations["updateAlertChannel"];
        readonly trace?: never;
    };
    readonly "/v1/alert-channels/{channelId}/test": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Send a test alert (a made-up lead) now and answer what happened: ok, status, failureKind, reason; never retried */
        readonly post: operations["testAlertChannel"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-rules": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Alert rules: which leads (offers, stage reached, sources, countries) tell which channels */
        readonly get: operations["listAlertRules"];
        readonly put?: never;
        /** Create an alert rule; it fires once per lead and stage (audited) */
        readonly post: operations["createAlertRule"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-rules/{ruleId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** One alert rule */
        readonly get: operations["getAlertRule"];
        readonly put?: never;
        readonly post?: never;
        /** Delete an alert rule; alerts already queued are still sent */
        readonly delete: operations["deleteAlertRule"];
        readonly options?: never;
        readonly head?: never;
        /** Change an alert rule (audited) */
        readonly patch: operations["updateAlertRule"];
        readonly trace?: never;
    };
    readonly "/v1/alert-rules/{ruleId}/test": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Send a test alert through each of the rule's channels; never retried */
        readonly post: operations["testAlertRule"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-sends": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Alerts sent or on their way, newest first, by lead or channel */
        readonly get: operations["listAlertSends"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-sends/{sendId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** One alert to one channel with every attempt */
        readonly get: operations["getAlertSend"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-sends/{sendId}/replay": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Queue a delivered or dead alert again (audited) */
        readonly post: operations["replayAlertSend"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/leads/{leadId}/alerts": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The lead's alerts: rule, channel, stage, state and when it was sent */
        readonly get: operations["listLeadAlerts"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/alert-digest": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The weekly or daily digest email: frequency and recipients */
        readonly get: operations["getAlertDigest"];
        /** Set the digest: daily, weekly or off, and who gets it (audited) */
        readonly put: operations["setAlertDigest"];
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/auth/config": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** What the sign-in page should offer: an identity provider, an API key, or both */
        readonly get: operations["getAuthConfig"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/auth/login": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Start signing in: sets the sealed login state cookie and sends the browser to the identity provider (authorization code flow with PKCE); 404 NOT_FOUND when no provider is set up */
        readonly get: operations["signIn"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/auth/callback": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** Where the identity provider sends the browser back: checks its answer, opens a session (HttpOnly cookie) and goes to the page sign-in began on; a refusal goes to /?signInError=… saying why */
        readonly get: operations["finishSignIn"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/auth/logout": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Sign out: ends this browser's session and answers where to end it at the identity provider too (null when there is nothing to end there) */
        readonly post: operations["signOut"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/sessions/revoke-all": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Sign out everywhere: every session of the signed-in person (with an admin key: of every person of the tenant) */
        readonly post: operations["revokeAllSessions"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/people": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The tenant's people: name, email, role, operator flag, member since */
        readonly get: operations["listPeople"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/invitations": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Invite an email with a role; the link (7 days, once) is emailed, or in this answer without SMTP */
        readonly post: operations["invitePerson"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/people/{personId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        readonly post?: never;
        /** Remove a person from the tenant; their sessions here end at once */
        readonly delete: operations["removePerson"];
        readonly options?: never;
        readonly head?: never;
        /** Change a person's role; only an owner makes or unmakes owners */
        readonly patch: operations["changePersonRole"];
        readonly trace?: never;
    };
    readonly "/v1/tenant/sign-in": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The Entra tenant whose people join this tenant by signing in, and their role */
        readonly get: operations["getTenantSignIn"];
        /** Set (or clear, with null) the Entra tenant whose people join by signing in */
        readonly put: operations["setTenantSignIn"];
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The tenant's working API keys: name, scopes, a hint of the secret, never the secret */
        readonly get: operations["listApiKeys"];
        readonly put?: never;
        /** Create a named API key with scopes; the key is in this answer only */
        readonly post: operations["createApiKey"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys/{keyId}/rotate": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** A new secret for the same name and scopes; the old one stops after overlapHours */
        readonly post: operations["rotateApiKey"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys/{keyId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        readonly post?: never;
        /** Revoke an API key at once (audited) */
        readonly delete: operations["revokeApiKey"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/tenant/ingest-tokens": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The current ingest token and previous ones still in their overlap */
        readonly get: operations["listIngestTokens"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/tenant/ingest-token/rotate": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** A new ingest URL (in this answer only); the old one keeps working for overlapHours (default 72) */
        readonly post: operations["rotateIngestToken"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/tenant/ingest-tokens/{tokenId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        readonly post?: never;
        /** End a previous ingest token's overlap now */
        readonly delete: operations["revokeIngestToken"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/customers": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        readonly post?: never;
        /** Erase a customer (GDPR Art. 17): their personal data leaves every lead, event and delivery record of the tenant, each destination holding a record is asked to delete it, and a tombstone (a keyed hash of the email, the time, who asked) keeps old events from coming back (docs/privacy.md) */
        readonly delete: operations["eraseCustomer"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/tenant/retention": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** How long the tenant keeps delivery attempts, idle leads' events and the audit log, with the defaults and limits */
        readonly get: operations["getRetention"];
        /** Set retention (audited): attempts older than attemptsDays deleted, the events of leads idle for leadEventsIdleMonths reduced to their merged lead, audit entries older than auditMonths deleted; applied by the worker's next retention run (docs/privacy.md) */
        readonly put: operations["setRetention"];
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/subscription-source/relay-calls": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The SaaS webhook calls the relay took, newest first: each one's action, state, attempts and last answer (never its body or token) */
        readonly get: operations["listSaasRelayCalls"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/subscription-source": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The tenant's marketplace subscription source: its Entra app (never the secret) and the last poll's outcome */
        readonly get: operations["getSubscriptionSource"];
        /** Set the Entra app Leadrelay reads SaaS subscriptions with (read only; the secret or certificate key is sealed and never shown), and the SaaS webhook relay; audited */
        readonly put: operations["putSubscriptionSource"];
        readonly post?: never;
        /** Stop reading SaaS subscriptions; what was recorded stays */
        readonly delete: operations["deleteSubscriptionSource"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/subscription-source/poll": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Read the SaaS subscriptions now: each new subscription, status, plan or quantity change becomes a lead event (docs/decisions/0010) */
        readonly post: operations["pollSubscriptions"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/leads/{leadId}/subscriptions": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /** The lead's SaaS subscriptions: plan, quantity, status and term */
        readonly get: operations["listLeadSubscriptions"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/ingest/saas-webhook/{token}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /** Microsoft's SaaS fulfillment webhook, relayed: paste this URL into Partner Center's technical configuration instead of your fulfillment service's; each call with a valid Microsoft Entra token is stored, answered 200 and relayed unchanged, in order per subscription, to the subscription source's relayUrl */
        readonly post: operations["relaySaasWebhook"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description The JSON Microsoft's HTTPS-endpoint lead destination posts. Unknown fields are kept. */
        readonly MicrosoftLeadInput: {
            /** @description Keys are matched case-insensitively. Any field may be missing. */
            readonly UserDetails?: {
                readonly FirstName?: string;
                readonly LastName?: string;
                readonly Email?: string;
                readonly Phone?: string;
                readonly Country?: string;
                readonly Company?: string;
                readonly Title?: string;
            };
            /** @example AzureMarketplace-INS|contoso.crm-suite */
            readonly LeadSource?: string;
            /**
             * @example INS
             * @example PLT
             * @example DNC
             * @example Create
             * @example StartTestDrive
             */
            readonly ActionCode?: string;
            readonly OfferTitle?: string;
            readonly Description?: string;
            /** @description When the customer acted: ISO 8601, or epoch milliseconds. A time outside 1970-01-01 to 9999-12-31 (or a fraction of a millisecond) is kept as sent with the event, the receive time is used instead, and the receipt warns occurredAt_invalid. */
            readonly CreatedTime?: string | number;
        } & {
            readonly [key: string]: unknown;
        };
        /** @description Leadrelay format. Also accepts the Azure Table shape { LeadSource, CustomerInfo } with CustomerInfo as an object or a JSON string. */
        readonly NewLeadInput: {
            /** @description Makes repeated sends idempotent. */
            readonly eventId?: string;
            /** @description Source-Action|Offer */
            readonly leadSource?: string;
            readonly source?: string;
            readonly action?: string;
            /** @description publisher.offer id or display name */
            readonly offer?: string;
            readonly offerTitle?: string;
            readonly description?: string;
            /**
             * Format: date-time
             * @description From 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z; any other is 400 LEAD_INVALID.
             */
            readonly occurredAt?: string;
            /** @description Keys are matched case-insensitively. Any field may be missing. */
            readonly customer?: {
                readonly FirstName?: string;
                readonly LastName?: string;
                readonly Email?: string;
                readonly Phone?: string;
                readonly Country?: string;
                readonly Company?: string;
                readonly Title?: string;
            };
        } & {
            readonly [key: string]: unknown;
        };
        /** @description Microsoft's SaaS fulfillment webhook call */
        readonly SaasWebhookCallInput: {
            /** @description The operation id; a call Microsoft sends again is stored and relayed once */
            readonly id?: string;
            readonly activityId?: string;
            readonly subscriptionId?: string;
            readonly publisherId?: string;
            readonly offerId?: string;
            readonly planId?: string;
            readonly quantity?: number | string;
            readonly timeStamp?: string;
            /**
             * @example ChangePlan
             * @example ChangeQuantity
             * @example Renew
             * @example Suspend
             * @example Unsubscribe
             * @example Reinstate
             */
            readonly action?: string;
            readonly status?: string;
            /** @description The subscription resource; its status becomes a lead event as the poll records it */
            readonly subscription?: {
                readonly [key: string]: unknown;
            };
        } & {
            readonly [key: string]: unknown;
        };
        readonly CheckResult: {
            readonly destinationId: string;
            readonly name: string;
            readonly kind: string;
            readonly ok: boolean;
            /**
             * @description The step that failed
             * @enum {string}
             */
            readonly step?: "settings" | "verify" | "test_lead";
            /** @description What went wrong and how to fix it */
            readonly reason?: string;
            readonly failureKind?: string;
            /** @description The destination's HTTP status, when it answered */
            readonly status?: number;
            readonly testLeadId?: string;
        };
        readonly AlertChannel: {
            readonly id: string;
            readonly kind: string;
            readonly name: string;
            /** @description Settings, as the kind's configSchema describes them */
            readonly config: unknown;
            readonly hasSecrets: boolean;
            readonly createdAt: string;
            readonly updatedAt: string;
        };
        readonly AlertChannelKind: {
            readonly kind: string;
            readonly displayName: string;
            /** @description JSON Schema (draft 2020-12) of the kind's settings */
            readonly configSchema: {
                readonly [key: string]: unknown;
            };
            readonly secretFields: readonly {
                readonly name: string;
                readonly label: string;
                readonly required: boolean;
                readonly generated?: boolean;
                readonly help?: string;
            }[];
        };
        readonly AlertRule: {
            readonly id: string;
            readonly name: string;
            readonly enabled: boolean;
            readonly criteria: {
                readonly offers: readonly string[];
                /**
                 * @description The rule fires when a lead reaches this stage (or a further one) first
                 * @enum {string}
                 */
                readonly stage: "trial" | "initial_interest" | "active" | "customer" | "churned";
                readonly sources: readonly string[];
                readonly countries: readonly string[];
                readonly includeTest: boolean;
            };
            readonly channelIds: readonly string[];
        };
        readonly AlertSend: {
            readonly id: string;
            readonly alertId: string;
            readonly ruleId: string;
            readonly ruleName: string | null;
            readonly channelId: string;
            readonly channelName: string | null;
            readonly leadId: string;
            /** @description The stage whose first reach fired the alert */
            readonly stage: string;
            /** @enum {string} */
            readonly state: "queued" | "in_flight" | "delivered" | "dead";
            readonly attempts: number;
            readonly firedAt: string;
            readonly nextAttemptAt: string | null;
            readonly sentAt: string | null;
            readonly lastError: string | null;
            readonly lastStatus: number | null;
        };
        readonly AlertSendDetail: {
            readonly id: string;
            readonly alertId: string;
            readonly ruleId: string;
            readonly ruleName: string | null;
            readonly channelId: string;
            readonly channelName: string | null;
            readonly leadId: string;
            /** @description The stage whose first reach fired the alert */
            readonly stage: string;
            /** @enum {string} */
            readonly state: "queued" | "in_flight" | "delivered" | "dead";
            readonly attempts: number;
            readonly firedAt: string;
            readonly nextAttemptAt: string | null;
            readonly sentAt: string | null;
            readonly lastError: string | null;
            readonly lastStatus: number | null;
            readonly attemptLog: readonly {
                readonly id: string;
                readonly number: number;
                readonly startedAt: string;
                readonly durationMs: number;
                readonly outcome: string;
                readonly status: number | null;
                readonly error: string | null;
            }[];
        };
        readonly AlertTestResult: {
            readonly channelId: string;
            readonly name: string;
            readonly kind: string;
            readonly ok: boolean;
            readonly status?: number;
            readonly failureKind?: string;
            readonly reason?: string;
        };
        readonly DigestSettings: {
            /** @enum {string} */
            readonly frequency: "daily" | "weekly" | "off";
            readonly emails: readonly string[];
        };
        /** @description One attempt of a delivery, as listed in its attemptLog. */
        readonly Attempt: {
            readonly id: string;
            /** @description 1, 2, 3… per delivery; never repeated, replays included. */
            readonly number: number;
            /**
             * @description scheduled: the first try or a retry on the schedule; replay: queued again by a publisher; test: a test lead.
             * @enum {string}
             */
            readonly kind: "scheduled" | "replay" | "test";
            readonly startedAt: string | null;
            readonly durationMs: number;
            /** @description delivered, or the failure kind: retryable, rate_limited, auth, rejected, misconfigured, gone */
            readonly outcome: string;
            readonly status: number | null;
            readonly vendorCode: string | null;
            readonly error: string | null;
            readonly leadVersion: number;
            /** @description Null for attempts that sent nothing, made before it was kept, or erased. */
            readonly request: {
                readonly method: string;
                /** @description Without user info; secret query values (tokens, signatures) read "[redacted]". */
                readonly url: string;
                /** @description Lower-case names. Values of headers that can carry a credential read "[redacted]". */
                readonly headers: {
                    readonly [key: string]: string;
                };
                /** @description At most 8 KiB of UTF-8; secret JSON and form fields read "[redacted]". Null when there was none. */
                readonly body: string | null;
                /** @description The body was longer and is cut here. */
                readonly bodyTruncated: boolean;
            } | null;
            /** @description Null when no answer came (a timeout, a refused connection). */
            readonly response: {
                readonly status: number;
                /** @description Lower-case names. Values of headers that can carry a credential read "[redacted]". */
                readonly headers: {
                    readonly [key: string]: string;
                };
                /** @description At most 8 KiB of UTF-8; secret JSON and form fields read "[redacted]". Null when there was none. */
                readonly body: string | null;
                /** @description The body was longer and is cut here. */
                readonly bodyTruncated: boolean;
            } | null;
        };
        readonly Delivery: {
            readonly id: string;
            readonly leadId: string;
            readonly destinationId: string;
            readonly leadVersion: number;
            /** @enum {string} */
            readonly state: "queued" | "in_flight" | "delivered" | "dead" | "superseded";
            readonly attempts: number;
            /** @description When a queued delivery is tried next */
            readonly nextAttemptAt: string | null;
            readonly lastError: string | null;
            readonly lastErrorKind: string | null;
            readonly lastStatus: number | null;
            readonly createdAt: string | null;
            readonly updatedAt: string | null;
            readonly deliveredAt: string | null;
            /** @description Every attempt, on a delivery read on its own or with its lead */
            readonly attemptLog?: readonly components["schemas"]["Attempt"][];
        };
        /** @description The customer and offer of a delivery, for lists */
        readonly DeliveryLead: {
            readonly id: string;
            readonly customer: {
                readonly firstName?: string;
                readonly lastName?: string;
                readonly email?: string;
                readonly company?: string;
            };
            /** @enum {string} */
            readonly stage: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
            readonly offerId: string | null;
            readonly offerTitle: string | null;
        };
        readonly DeliveryPage: {
            readonly items: readonly {
                readonly id: string;
                readonly leadId: string;
                readonly destinationId: string;
                readonly leadVersion: number;
                /** @enum {string} */
                readonly state: "queued" | "in_flight" | "delivered" | "dead" | "superseded";
                readonly attempts: number;
                /** @description When a queued delivery is tried next */
                readonly nextAttemptAt: string | null;
                readonly lastError: string | null;
                readonly lastErrorKind: string | null;
                readonly lastStatus: number | null;
                readonly createdAt: string | null;
                readonly updatedAt: string | null;
                readonly deliveredAt: string | null;
                /** @description Every attempt, on a delivery read on its own or with its lead */
                readonly attemptLog?: readonly components["schemas"]["Attempt"][];
                readonly lead: components["schemas"]["DeliveryLead"] | null;
            }[];
            readonly nextCursor?: string;
            /** @description Matching deliveries, exact up to 10,000 */
            readonly total: number;
            /** @description More than `total` deliveries match */
            readonly totalIsEstimate: boolean;
        };
        readonly DeliveryTrouble: {
            /** @enum {string} */
            readonly trouble: "dead" | "failing";
            readonly destinationId: string;
            readonly reason: string;
            readonly count: number;
        };
        readonly ReplayResult: {
            readonly replayed: number;
            /** @description Deliveries named that were not final (still queued or in flight) or not found */
            readonly skipped: number;
            /** @description The replayed deliveries, up to 1,000 */
            readonly ids: readonly string[];
        };
        readonly AuditEntry: {
            readonly id: string;
            readonly tenantId: string;
            /** @description Who: key:<api key id>, person:<person id>, cli:<user>, system */
            readonly actor: string;
            /** @description The person's name or the key's name behind actor */
            readonly actorName?: string;
            readonly action: string;
            readonly target?: string;
            /** @description The target's current name, when it has one */
            readonly targetName?: string;
            readonly detail?: {
                readonly [key: string]: unknown;
            };
            readonly at: string | null;
        };
        readonly Customer: {
            readonly firstName?: string;
            readonly lastName?: string;
            /** @description Lower-cased; present only when it is a valid address */
            readonly email?: string;
            /** @description As sent */
            readonly phone?: string;
            /** @description The digits of phone, to match a customer who left no email */
            readonly phoneDigits?: string;
            /** @description ISO 3166-1 alpha-2 when recognisable, otherwise as sent */
            readonly country?: string;
            readonly company?: string;
            readonly title?: string;
        };
        /** @description A lead: every event of one customer for one offer, merged */
        readonly LeadSummary: {
            readonly id: string;
            /** @description The configured offer; null while the offer is unknown (unrouted) */
            readonly offerId: string | null;
            /** @description The offer as the lead names it */
            readonly offerName: string | null;
            /** @description The configured offer's title, when it has one */
            readonly offerTitle: string | null;
            readonly routed: boolean;
            /**
             * @description The furthest stage any event reached
             * @enum {string}
             */
            readonly stage: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
            readonly doNotContact: boolean;
            readonly isTest: boolean;
            readonly customer: components["schemas"]["Customer"];
            readonly source: string | null;
            readonly action: string | null;
            readonly eventCount: number;
            readonly firstEventAt: string;
            readonly lastEventAt: string;
            readonly createdAt: string;
            readonly updatedAt: string;
            /** @description Increases with every change; a delivery carries the version it delivers */
            readonly version: number;
        };
        readonly LeadEvent: {
            readonly id: string;
            readonly format: string;
            readonly receivedAt: string;
            readonly occurredAt: string;
            readonly leadSource?: string;
            readonly source?: string;
            readonly action?: string;
            /** @enum {string} */
            readonly stage: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
            readonly offerRef?: string;
            readonly offerTitle?: string;
            readonly description?: string;
            readonly customer: components["schemas"]["Customer"];
            /** @description Values kept as sent that could not be used (a time out of range) */
            readonly invalid?: {
                readonly [key: string]: string;
            };
            readonly isTest: boolean;
        };
        readonly LeadDetail: {
            readonly id: string;
            /** @description The configured offer; null while the offer is unknown (unrouted) */
            readonly offerId: string | null;
            /** @description The offer as the lead names it */
            readonly offerName: string | null;
            /** @description The configured offer's title, when it has one */
            readonly offerTitle: string | null;
            readonly routed: boolean;
            /**
             * @description The furthest stage any event reached
             * @enum {string}
             */
            readonly stage: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
            readonly doNotContact: boolean;
            readonly isTest: boolean;
            readonly customer: components["schemas"]["Customer"];
            readonly source: string | null;
            readonly action: string | null;
            readonly eventCount: number;
            readonly firstEventAt: string;
            readonly lastEventAt: string;
            readonly createdAt: string;
            readonly updatedAt: string;
            /** @description Increases with every change; a delivery carries the version it delivers */
            readonly version: number;
            readonly events: readonly components["schemas"]["LeadEvent"][];
            readonly deliveries: readonly components["schemas"]["Delivery"][];
        };
        readonly LeadPage: {
            readonly items: readonly components["schemas"]["LeadSummary"][];
            readonly nextCursor?: string;
            /** @description Matching leads, exact up to 10,000 */
            readonly total: number;
            /** @description More than `total` leads match */
            readonly totalIsEstimate: boolean;
            /** @enum {string} */
            readonly sort: "lastActivity" | "createdAt" | "name" | "company";
            /** @enum {string} */
            readonly order: "asc" | "desc";
        };
        readonly FunnelReport: {
            readonly leads: number;
            /** @description Leads whose first event was in the period, by the stage they are in now */
            readonly stages: {
                readonly unclassified: number;
                readonly do_not_contact: number;
                readonly trial: number;
                readonly initial_interest: number;
                readonly active: number;
                readonly customer: number;
                readonly suspended: number;
                readonly churned: number;
            };
            /** @description Trial: leads whose first trial was in the period. Initial interest, active and customer: leads that reached this step or a later one. Churned: leads whose subscription is cancelled now. */
            readonly reached: {
                readonly trial: number;
                readonly initial_interest: number;
                readonly active: number;
                readonly customer: number;
                readonly churned: number;
            };
            /** @description Share of leads that went on from one step to the next (or further), 0..1; null when none reached the first */
            readonly conversion: readonly {
                readonly from: string;
                readonly to: string;
                readonly rate: number | null;
            }[];
            /** @description Leads that first reached each stage in the period, all sources together (docs/funnel.md) */
            readonly withEvent: {
                readonly unclassified: number;
                readonly do_not_contact: number;
                readonly trial: number;
                readonly initial_interest: number;
                readonly active: number;
                readonly customer: number;
                readonly suspended: number;
                readonly churned: number;
            };
            readonly bySource: readonly {
                readonly source: string;
                readonly stages: {
                    readonly unclassified: number;
                    readonly do_not_contact: number;
                    readonly trial: number;
                    readonly initial_interest: number;
                    readonly active: number;
                    readonly customer: number;
                    readonly suspended: number;
                    readonly churned: number;
                };
            }[];
            /** @description Leads per day or week of the period; absent when nothing happened in it */
            readonly overTime?: {
                /** @enum {string} */
                readonly unit: "day" | "week";
                readonly buckets: readonly {
                    /** @description ISO start of the day or week */
                    readonly start: string;
                    /** @description Leads whose first event was in the bucket */
                    readonly leads: number;
                    readonly stages: {
                        readonly trial: number;
                        readonly initial_interest: number;
                        readonly active: number;
                        readonly customer: number;
                        readonly churned: number;
                        readonly do_not_contact: number;
                    };
                }[];
            };
        };
        /** @description Earlier leads whose route gains destinations: the leads of the offer, leads that were waiting under one of its names and join it (a customer with leads under both its id and its display name becomes one lead), or with the default route the leads of every offer without its own. Each is queued for the gained destinations it has nothing delivered, queued or in flight for yet, test leads included, as ingest would have queued them. */
        readonly Backfill: {
            /** @enum {string} */
            readonly earlierLeads: "deliver" | "skip";
            /** @description Nothing was changed; the counts say what saving would do. */
            readonly dryRun: boolean;
            /** @description Destinations the change adds to earlier leads, each with the earlier leads not there yet. */
            readonly destinations: readonly {
                readonly id: string;
                readonly leads: number;
            }[];
            /** @description Earlier leads that would get at least one delivery. */
            readonly leads: number;
            /** @description One per such lead and gained destination. */
            readonly deliveries: number;
            /** @description Deliveries queued: 0 with earlierLeads "skip" or dryRun. */
            readonly queued: number;
            /** @description Leads that were waiting for the offer and joined it. */
            readonly joinedLeads: number;
            /** @description Leads folded into the same customer's lead on the offer. */
            readonly mergedLeads: number;
        };
        readonly Offer: {
            readonly id: string;
            readonly title: string | null;
            /** @description Other names leads may carry for the offer */
            readonly aliases: readonly string[];
            /** @description Destination ids of the offer's own route */
            readonly destinations: readonly string[];
            /** @enum {string} */
            readonly status: "draft" | "live";
            readonly publishedAt: string | null;
            readonly createdAt: string;
            readonly updatedAt: string;
        };
        readonly SavedOffer: {
            readonly id: string;
            readonly title: string | null;
            /** @description Other names leads may carry for the offer */
            readonly aliases: readonly string[];
            /** @description Destination ids of the offer's own route */
            readonly destinations: readonly string[];
            /** @enum {string} */
            readonly status: "draft" | "live";
            readonly publishedAt: string | null;
            readonly createdAt: string;
            readonly updatedAt: string;
            readonly backfill: components["schemas"]["Backfill"];
        };
        readonly PublishResult: {
            readonly offerId: string;
            /**
             * @description live when every check passed
             * @enum {string}
             */
            readonly status: "draft" | "live";
            readonly usesDefaultRoute: boolean;
            readonly results: readonly components["schemas"]["CheckResult"][];
        };
        readonly Destination: {
            readonly id: string;
            readonly kind: string;
            readonly name: string;
            /** @description Settings, as the kind's configSchema describes them */
            readonly config: unknown;
            readonly hasSecrets: boolean;
            /** @enum {string} */
            readonly state: "active" | "paused" | "disabled";
            readonly stateReason: string | null;
            readonly failingSince: string | null;
            /** @description Since when the vendor's rate limit has held deliveries back */
            readonly throttledSince: string | null;
            /**
             * @description What the portal's badge says; rate limiting shows only once it has lasted
             * @enum {string}
             */
            readonly health: "healthy" | "throttled" | "failing" | "paused" | "disabled";
            readonly limits: {
                readonly maxConcurrency: number;
                readonly ratePerSecond: number | null;
            };
            readonly createdAt: string;
            readonly updatedAt: string;
        } & {
            readonly [key: string]: unknown;
        };
        readonly SecretField: {
            readonly name: string;
            readonly label: string;
            readonly required: boolean;
            readonly generated?: boolean;
            readonly help?: string;
            readonly multiline?: boolean;
            readonly headerRecord?: boolean;
            readonly when?: {
                readonly [key: string]: readonly string[];
            };
        };
        readonly DestinationKind: {
            readonly kind: string;
            readonly displayName: string;
            /** @description JSON Schema (draft 2020-12) of the kind's settings, with x-when and x-enum-labels for forms */
            readonly configSchema: {
                readonly [key: string]: unknown;
            };
            readonly secretFields: readonly components["schemas"]["SecretField"][];
            readonly supportsSecretRotation: boolean;
        };
        readonly DestinationAttemptLog: {
            readonly items: readonly {
                readonly id: string;
                /** @description 1, 2, 3… per delivery; never repeated, replays included. */
                readonly number: number;
                /**
                 * @description scheduled: the first try or a retry on the schedule; replay: queued again by a publisher; test: a test lead.
                 * @enum {string}
                 */
                readonly kind: "scheduled" | "replay" | "test";
                readonly startedAt: string | null;
                readonly durationMs: number;
                /** @description delivered, or the failure kind: retryable, rate_limited, auth, rejected, misconfigured, gone */
                readonly outcome: string;
                readonly status: number | null;
                readonly vendorCode: string | null;
                readonly error: string | null;
                readonly leadVersion: number;
                /** @description Null for attempts that sent nothing, made before it was kept, or erased. */
                readonly request: {
                    readonly method: string;
                    /** @description Without user info; secret query values (tokens, signatures) read "[redacted]". */
                    readonly url: string;
                    /** @description Lower-case names. Values of headers that can carry a credential read "[redacted]". */
                    readonly headers: {
                        readonly [key: string]: string;
                    };
                    /** @description At most 8 KiB of UTF-8; secret JSON and form fields read "[redacted]". Null when there was none. */
                    readonly body: string | null;
                    /** @description The body was longer and is cut here. */
                    readonly bodyTruncated: boolean;
                } | null;
                /** @description Null when no answer came (a timeout, a refused connection). */
                readonly response: {
                    readonly status: number;
                    /** @description Lower-case names. Values of headers that can carry a credential read "[redacted]". */
                    readonly headers: {
                        readonly [key: string]: string;
                    };
                    /** @description At most 8 KiB of UTF-8; secret JSON and form fields read "[redacted]". Null when there was none. */
                    readonly body: string | null;
                    /** @description The body was longer and is cut here. */
                    readonly bodyTruncated: boolean;
                } | null;
                readonly deliveryId: string;
                readonly leadId: string;
                readonly customer: components["schemas"]["Customer"];
            }[];
            readonly nextCursor?: string;
            readonly successRate: {
                readonly last24h: {
                    readonly attempts: number;
                    readonly delivered: number;
                    readonly rate: number | null;
                };
                readonly last7d: {
                    readonly attempts: number;
                    readonly delivered: number;
                    readonly rate: number | null;
                };
            };
        };
        readonly Receipt: {
            readonly eventId: string;
            readonly leadId: string;
            readonly offerId?: string;
            readonly routed: boolean;
            /** @enum {string} */
            readonly stage: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
            /** @enum {string} */
            readonly leadStage: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
            readonly isTest: boolean;
            readonly newLead: boolean;
            /** @description Deliveries queued for this change, one per routed destination. */
            readonly deliveries: number;
            readonly warnings: readonly string[];
        };
        readonly ApiKey: {
            readonly id: string;
            readonly name: string;
            readonly scopes: readonly ("ingest" | "read" | "admin")[];
            /** @description The first characters of the secret, e.g. lr_key_AbCd… */
            readonly hint: string | null;
            readonly createdAt: string | null;
            /** @description When the key stops working: set while a rotated key's overlap lasts */
            readonly revokesAt: string | null;
        };
        readonly ApiKeyWithSecret: {
            readonly id: string;
            readonly name: string;
            readonly scopes: readonly ("ingest" | "read" | "admin")[];
            /** @description The first characters of the secret, e.g. lr_key_AbCd… */
            readonly hint: string | null;
            readonly createdAt: string | null;
            /** @description When the key stops working: set while a rotated key's overlap lasts */
            readonly revokesAt: string | null;
            /** @description The secret, shown in this answer only */
            readonly key: string;
            /** @description The rotated key, working until its revokesAt */
            readonly previous?: components["schemas"]["ApiKey"];
        };
        readonly IngestToken: {
            readonly id: string;
            /** @description The URL to paste into Partner Center now; the others work only until revokesAt */
            readonly current: boolean;
            readonly hint: string | null;
            readonly createdAt: string | null;
            readonly revokesAt: string | null;
        };
        readonly RotatedIngestToken: {
            readonly id: string;
            /** @description The URL to paste into Partner Center now; the others work only until revokesAt */
            readonly current: boolean;
            readonly hint: string | null;
            readonly createdAt: string | null;
            readonly revokesAt: string | null;
            /** @description The new token, shown in this answer only */
            readonly ingestToken: string;
            /** @description The new ingest URL to paste into Partner Center */
            readonly ingestUrl: string;
            readonly tokens: readonly components["schemas"]["IngestToken"][];
        };
        readonly Person: {
            readonly id: string;
            readonly name: string;
            readonly email: string | null;
            /** @enum {string} */
            readonly role: "viewer" | "editor" | "admin" | "owner";
            readonly operator: boolean;
            readonly memberSince: string;
        };
        readonly CreatedInvitation: {
            readonly id: string;
            readonly email: string;
            /** @enum {string} */
            readonly role: "viewer" | "editor" | "admin" | "owner";
            readonly expiresAt: string;
            readonly emailed: boolean;
            /** @description The link to pass on when no email could be sent; shown once */
            readonly link: string | null;
        };
        readonly TenantSignIn: {
            readonly entraTenantId: string | null;
            /** @enum {string} */
            readonly role: "viewer" | "editor" | "admin" | "owner";
        };
        readonly RetentionSettings: {
            /** @description Delivery attempts older than this many days are deleted */
            readonly attemptsDays: number;
            /** @description The events of a lead idle this many months are reduced to its merged lead */
            readonly leadEventsIdleMonths: number;
            /** @description Audit entries older than this many months are deleted */
            readonly auditMonths: number;
            /** @description Absent while the defaults apply */
            readonly updatedAt?: string;
            readonly defaults: {
                /** @description Delivery attempts older than this many days are deleted */
                readonly attemptsDays: number;
                /** @description The events of a lead idle this many months are reduced to its merged lead */
                readonly leadEventsIdleMonths: number;
                /** @description Audit entries older than this many months are deleted */
                readonly auditMonths: number;
            };
            readonly limits: {
                readonly attemptsDays: {
                    readonly min: number;
                    readonly max: number;
                };
                readonly leadEventsIdleMonths: {
                    readonly min: number;
                    readonly max: number;
                };
                readonly auditMonths: {
                    readonly min: number;
                    readonly max: number;
                };
            };
        };
        readonly ErasureResult: {
            /** @description The keyed hash of the email the tombstone keeps */
            readonly emailHash: string;
            readonly erasedAt: string;
            /** @description Leads (one per offer) whose personal data was removed */
            readonly leads: number;
            /** @description Deletions queued, one per destination holding a record of those leads */
            readonly deletionsQueued: number;
        };
        readonly AuthConfig: {
            /** @description Sign-in with an identity provider is set up */
            readonly oidc: boolean;
            /** @description Which button to show: Microsoft Entra ID or another */
            readonly provider: ("microsoft" | "oidc") | null;
            /** @description Signing in with an API key is allowed */
            readonly apiKeySignIn: boolean;
        };
        readonly SaasRelayCall: {
            readonly id: string;
            /** @description '' when the call named no subscription */
            readonly subscriptionId: string;
            readonly operationId?: string;
            /** @description The call's action (ChangePlan, Suspend, …) */
            readonly action?: string;
            /**
             * @description pending until the fulfillment service took it; rejected when it answered 400, 409 or 422; dead when given up after 7 days
             * @enum {string}
             */
            readonly state: "pending" | "relayed" | "rejected" | "dead";
            readonly attempts: number;
            readonly lastStatus?: number;
            readonly lastError?: string;
            readonly receivedAt: string;
            readonly relayedAt?: string;
            readonly nextAttemptAt?: string;
        };
        readonly SubscriptionSource: {
            readonly entraTenantId: string;
            readonly clientId: string;
            readonly hasSecret: boolean;
            /** @enum {string} */
            readonly credential: "secret" | "certificate";
            /** @description The certificate's public facts, never its private key */
            readonly certificate?: {
                readonly thumbprint: string;
                readonly subject: string;
                readonly expiresAt: string;
            };
            readonly enabled: boolean;
            readonly relay: {
                /** @description The publisher's fulfillment service calls are relayed to */
                readonly url: string;
                /** @description The relay URL to paste into Partner Center; only in the answer that made its token */
                readonly webhookUrl?: string;
            } | null;
            readonly lastPollAt?: string;
            readonly lastPollError?: string;
            readonly lastPollCount?: number;
            readonly createdAt: string;
            readonly updatedAt: string;
        };
        readonly SubscriptionPollSummary: {
            /** @description Subscriptions the API listed */
            readonly read: number;
            /** @description Events recorded now (first sight, status, plan or quantity changes) */
            readonly recorded: number;
            /** @description Events an earlier, interrupted poll had recorded already */
            readonly duplicates: number;
            /** @description Subscriptions unchanged since the last poll */
            readonly unchanged: number;
            /** @description API entries that lack an id, offer or known status, or could not be ingested */
            readonly skipped: number;
            /** @description Set when the poll stopped early; what it recorded before stays recorded */
            readonly error?: string;
        };
        readonly Subscription: {
            readonly id: string;
            readonly name?: string;
            readonly offer: string;
            /**
             * @description As the SaaS Fulfillment API says
             * @enum {string}
             */
            readonly status: "PendingFulfillmentStart" | "Subscribed" | "Suspended" | "Unsubscribed";
            readonly planId?: string;
            readonly quantity?: number;
            readonly isTest: boolean;
            readonly isFreeTrial: boolean;
            readonly termStart?: string;
            readonly termEnd?: string;
            readonly termUnit?: string;
            readonly created?: string;
            readonly lastModified?: string;
            readonly seenAt: string;
        };
        readonly SignedInPerson: {
            readonly id: string;
            readonly name: string;
            readonly email: string | null;
            /** @enum {string} */
            readonly role: "viewer" | "editor" | "admin" | "owner";
            /** @description An operator of this installation: owner of every tenant */
            readonly operator: boolean;
        };
        readonly Tenant: {
            readonly id: string;
            readonly name: string;
            readonly createdAt: string;
            /** @description The API key acting, and what it may do */
            readonly key?: {
                readonly id: string;
                readonly scopes: readonly ("ingest" | "read" | "admin")[];
            };
            /** @description The person signed in, and their role here */
            readonly person?: components["schemas"]["SignedInPerson"];
        };
        readonly TenantListed: {
            readonly id: string;
            readonly name: string;
            readonly createdAt: string;
        };
        readonly TenantList: {
            readonly items: readonly components["schemas"]["TenantListed"][];
        };
        readonly NotificationContacts: {
            readonly emails: readonly string[];
            readonly webhookUrl?: string;
        };
        /** @description RFC 9457 problem details. `code` is stable (docs/errors.md); `field` names the parameter, header or body field at fault (dotted path, `$` for the body itself). Some codes add members: FORBIDDEN adds requiredScope or requiredRole. */
        readonly Problem: {
            /** @example urn:leadrelay:error:VALIDATION_FAILED */
            readonly type: string;
            readonly title: string;
            readonly status: number;
            /** @enum {string} */
            readonly code: "INVALID_JSON" | "LEAD_INVALID" | "LEAD_EMPTY" | "VALIDATION_FAILED" | "BODY_TOO_DEEP" | "IDEMPOTENCY_KEY_INVALID" | "UNAUTHORIZED" | "INGEST_TOKEN_UNKNOWN" | "SAAS_WEBHOOK_TOKEN_INVALID" | "NOT_FOUND" | "SAAS_WEBHOOK_UNKNOWN" | "FORBIDDEN" | "CROSS_SITE_REQUEST" | "SIGN_IN_REFUSED" | "LEAD_NOT_FOUND" | "OFFER_NOT_FOUND" | "DESTINATION_NOT_FOUND" | "DELIVERY_NOT_FOUND" | "IDEMPOTENCY_KEY_REUSED" | "CONFLICT" | "OFFER_NOT_ROUTED" | "BODY_TOO_LARGE" | "URI_TOO_LONG" | "UNSUPPORTED_MEDIA_TYPE" | "TOO_MANY_REQUESTS" | "INTERNAL" | "NOT_READY" | "CONFIG_INVALID";
            readonly detail: string;
            readonly field?: string;
            readonly instance?: string;
        };
    };
    responses: {
        /** @description A problem (application/problem+json) with a code from the catalogue */
        readonly Problem: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    readonly getHealth: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Ready */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        /** @enum {string} */
                        readonly status: "ok";
                    };
                };
            };
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getTenant: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The tenant */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Tenant"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listTenants: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The tenants */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["TenantList"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getNotificationContacts: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The contacts */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["NotificationContacts"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly setNotificationContacts: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @default [] */
                    readonly emails?: readonly string[];
                    /** Format: uri */
                    readonly webhookUrl?: string;
                };
            };
        };
        readonly responses: {
            /** @description The contacts now */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["NotificationContacts"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly ingestMicrosoftLead: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The secret ingest token (lr_in_…); it is the credential */
                readonly token: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["MicrosoftLeadInput"];
            };
        };
        readonly responses: {
            /** @description Stored durably (committed to disk before this answer); the Idempotent-Replayed header says whether it repeats an earlier send */
            readonly 202: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Receipt"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listLeads: {
        readonly parameters: {
            readonly query?: {
                readonly offer?: string;
                readonly stage?: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
                readonly source?: string;
                readonly doNotContact?: "true" | "false";
                readonly email?: string;
                readonly emailDomain?: string;
                readonly q?: string;
                readonly since?: string;
                readonly until?: string;
                readonly test?: "true" | "false";
                readonly routed?: "true" | "false";
                readonly sort?: "lastActivity" | "createdAt" | "name" | "company";
                readonly order?: "asc" | "desc";
                readonly limit?: number;
                readonly cursor?: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of leads */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["LeadPage"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly sendLead: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description Printable ASCII, up to 200 characters. A repeated send with the same key returns the original receipt and stores nothing new; the same key with a different body is 409 IDEMPOTENCY_KEY_REUSED. */
                readonly "idempotency-key"?: string;
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["NewLeadInput"];
            };
        };
        readonly responses: {
            /** @description Stored durably (committed to disk before this answer); the Idempotent-Replayed header says whether it repeats an earlier send */
            readonly 202: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Receipt"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly exportLeads: {
        readonly parameters: {
            readonly query?: {
                readonly offer?: string;
                readonly stage?: "unclassified" | "do_not_contact" | "trial" | "initial_interest" | "active" | "customer" | "suspended" | "churned";
                readonly source?: string;
                readonly doNotContact?: "true" | "false";
                readonly email?: string;
                readonly emailDomain?: string;
                readonly q?: string;
                readonly since?: string;
                readonly until?: string;
                readonly test?: "true" | "false";
                readonly routed?: "true" | "false";
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description CSV */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "text/csv": string;
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getFunnel: {
        readonly parameters: {
            readonly query?: {
                readonly offer?: string;
                readonly since?: string;
                readonly until?: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The funnel */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["FunnelReport"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getLead: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly leadId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The lead */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["LeadDetail"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getOffer: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly offerId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The offer */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Offer"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly putOffer: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly offerId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly title?: string;
                    /** @default [] */
                    readonly aliases?: readonly string[];
                    readonly destinations?: readonly string[];
                    /**
                     * @description When the route gains destinations: queue the earlier leads that have not reached them (deliver), or leave them to new leads only (skip)
                     * @default deliver
                     * @enum {string}
                     */
                    readonly earlierLeads?: "deliver" | "skip";
                    /**
                     * @description Change nothing; answer what saving would do (backfill counts)
                     * @default false
                     */
                    readonly dryRun?: boolean;
                };
            };
        };
        readonly responses: {
            /** @description The offer, and what the change did for earlier leads */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SavedOffer"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listOffers: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Offers */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["Offer"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly publishOffer: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly offerId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Each check, and whether the offer is live now */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["PublishResult"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listDestinations: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Destinations */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly ({
                            readonly id: string;
                            readonly kind: string;
                            readonly name: string;
                            /** @description Settings, as the kind's configSchema describes them */
                            readonly config: unknown;
                            readonly hasSecrets: boolean;
                            /** @enum {string} */
                            readonly state: "active" | "paused" | "disabled";
                            readonly stateReason: string | null;
                            readonly failingSince: string | null;
                            /** @description Since when the vendor's rate limit has held deliveries back */
                            readonly throttledSince: string | null;
                            /**
                             * @description What the portal's badge says; rate limiting shows only once it has lasted
                             * @enum {string}
                             */
                            readonly health: "healthy" | "throttled" | "failing" | "paused" | "disabled";
                            readonly limits: {
                                readonly maxConcurrency: number;
                                readonly ratePerSecond: number | null;
                            };
                            readonly createdAt: string;
                            readonly updatedAt: string;
                            /** @description Attempts in flight this node's worker allows now (adaptive, up to ceiling); null before its first delivery */
                            readonly concurrency: {
                                readonly window: number;
                                readonly ceiling: number;
                                readonly inFlight: number;
                            } | null;
                        } & {
                            readonly [key: string]: unknown;
                        })[];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly createDestination: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly kind: string;
                    readonly name: string;
                    /** @default {} */
                    readonly config?: {
                        readonly [key: string]: unknown;
                    };
                    readonly secrets?: {
                        readonly [key: string]: unknown;
                    };
                    readonly limits?: {
                        readonly maxConcurrency?: number;
                        readonly ratePerSecond?: number | null;
                    };
                };
            };
        };
        readonly responses: {
            /** @description The destination, with any secret generated for it */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Destination"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getDestination: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly destinationId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The destination */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly id: string;
                        readonly kind: string;
                        readonly name: string;
                        /** @description Settings, as the kind's configSchema describes them */
                        readonly config: unknown;
                        readonly hasSecrets: boolean;
                        /** @enum {string} */
                        readonly state: "active" | "paused" | "disabled";
                        readonly stateReason: string | null;
                        readonly failingSince: string | null;
                        /** @description Since when the vendor's rate limit has held deliveries back */
                        readonly throttledSince: string | null;
                        /**
                         * @description What the portal's badge says; rate limiting shows only once it has lasted
                         * @enum {string}
                         */
                        readonly health: "healthy" | "throttled" | "failing" | "paused" | "disabled";
                        readonly limits: {
                            readonly maxConcurrency: number;
                            readonly ratePerSecond: number | null;
                        };
                        readonly createdAt: string;
                        readonly updatedAt: string;
                        /** @description Attempts in flight this node's worker allows now (adaptive, up to ceiling); null before its first delivery */
                        readonly concurrency: {
                            readonly window: number;
                            readonly ceiling: number;
                            readonly inFlight: number;
                        } | null;
                    } & {
                        readonly [key: string]: unknown;
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly deleteDestination: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly destinationId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Deleted */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly updateDestination: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly destinationId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly name?: string;
                    readonly config?: {
                        readonly [key: string]: unknown;
                    };
                    readonly secrets?: {
                        readonly [key: string]: unknown;
                    };
                    readonly limits?: {
                        readonly maxConcurrency?: number;
                        readonly ratePerSecond?: number | null;
                    };
                };
            };
        };
        readonly responses: {
            /** @description The destination, with any secret generated by the change */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Destination"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly verifyDestination: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly destinationId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description What the check found */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["CheckResult"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listDestinationAttempts: {
        readonly parameters: {
            readonly query?: {
                readonly limit?: number;
                readonly cursor?: string;
            };
            readonly header?: never;
            readonly path: {
                readonly destinationId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of the delivery log */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["DestinationAttemptLog"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listDestinationKinds: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Every kind */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["DestinationKind"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly previewDestinationPayload: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly destinationId: string;
                readonly leadId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The payload, nothing sent */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        /** @description The request body in the vendor's format */
                        readonly payload: unknown;
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly rotateDestinationSecrets: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly destinationId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The destination with its new secrets, shown once */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Destination"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getDefaultRoute: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The default route */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly destinations: readonly string[];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly putDefaultRoute: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly destinations: readonly string[];
                    /**
                     * @description When the route gains destinations: queue the earlier leads that have not reached them (deliver), or leave them to new leads only (skip)
                     * @default deliver
                     * @enum {string}
                     */
                    readonly earlierLeads?: "deliver" | "skip";
                    /**
                     * @description Change nothing; answer what saving would do (backfill counts)
                     * @default false
                     */
                    readonly dryRun?: boolean;
                };
            };
        };
        readonly responses: {
            /** @description The default route, and what the change did for earlier leads */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly destinations: readonly string[];
                        readonly backfill: components["schemas"]["Backfill"];
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listDeliveries: {
        readonly parameters: {
            readonly query?: {
                readonly state?: "queued" | "in_flight" | "delivered" | "dead" | "superseded";
                readonly destination?: string;
                readonly lead?: string;
                readonly reason?: string;
                readonly since?: string;
                readonly until?: string;
                readonly limit?: number;
                readonly cursor?: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of deliveries */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["DeliveryPage"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listDeliveryTroubles: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Groups, largest first */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["DeliveryTrouble"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly retryDelivery: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly deliveryId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The delivery, and what may still hold it back */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly id: string;
                        readonly leadId: string;
                        readonly destinationId: string;
                        readonly leadVersion: number;
                        /** @enum {string} */
                        readonly state: "queued" | "in_flight" | "delivered" | "dead" | "superseded";
                        readonly attempts: number;
                        /** @description When a queued delivery is tried next */
                        readonly nextAttemptAt: string | null;
                        readonly lastError: string | null;
                        readonly lastErrorKind: string | null;
                        readonly lastStatus: number | null;
                        readonly createdAt: string | null;
                        readonly updatedAt: string | null;
                        readonly deliveredAt: string | null;
                        /** @description Every attempt, on a delivery read on its own or with its lead */
                        readonly attemptLog?: readonly components["schemas"]["Attempt"][];
                        /** @enum {string} */
                        readonly destinationState: "active" | "paused" | "disabled";
                        readonly destinationHeldUntil: string | null;
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getDelivery: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly deliveryId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The delivery */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Delivery"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly replayDeliveries: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly ids: readonly string[];
                } | {
                    readonly filter: {
                        /** @enum {string} */
                        readonly state?: "queued" | "in_flight" | "delivered" | "dead" | "superseded";
                        readonly destination?: string;
                        readonly lead?: string;
                        readonly reason?: string;
                        /** Format: date-time */
                        readonly since?: string;
                        /** Format: date-time */
                        readonly until?: string;
                    };
                };
            };
        };
        readonly responses: {
            /** @description What was queued again */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ReplayResult"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listAudit: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The newest 200 entries */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["AuditEntry"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listAlertChannelKinds: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Every kind */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["AlertChannelKind"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listAlertChannels: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Channels */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["AlertChannel"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly createAlertChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @enum {string} */
                    readonly kind: "teams" | "slack" | "email" | "webhook";
                    readonly name: string;
                    /** @default {} */
                    readonly config?: {
                        readonly [key: string]: unknown;
                    };
                    readonly secrets?: {
                        readonly [key: string]: unknown;
                    };
                };
            };
        };
        readonly responses: {
            /** @description The channel, with any secret generated for it (shown once) */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly id: string;
                        readonly kind: string;
                        readonly name: string;
                        /** @description Settings, as the kind's configSchema describes them */
                        readonly config: unknown;
                        readonly hasSecrets: boolean;
                        readonly createdAt: string;
                        readonly updatedAt: string;
                        readonly secrets?: {
                            readonly [key: string]: string;
                        };
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getAlertChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly channelId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The channel */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertChannel"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly deleteAlertChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly channelId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Deleted */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly updateAlertChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly channelId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly name?: string;
                    readonly config?: {
                        readonly [key: string]: unknown;
                    };
                    readonly secrets?: {
                        readonly [key: string]: unknown;
                    };
                };
            };
        };
        readonly responses: {
            /** @description The channel */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertChannel"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly testAlertChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly channelId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description What happened */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertTestResult"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listAlertRules: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Rules */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["AlertRule"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly createAlertRule: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly name: string;
                    /** @default true */
                    readonly enabled?: boolean;
                    readonly criteria: {
                        /** @default [] */
                        readonly offers?: readonly string[];
                        /** @enum {string} */
                        readonly stage: "trial" | "initial_interest" | "active" | "customer" | "churned";
                        /** @default [] */
                        readonly sources?: readonly string[];
                        /** @default [] */
                        readonly countries?: readonly string[];
                        /** @default false */
                        readonly includeTest?: boolean;
                    };
                    readonly channelIds: readonly string[];
                };
            };
        };
        readonly responses: {
            /** @description The rule */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertRule"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getAlertRule: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly ruleId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The rule */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertRule"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly deleteAlertRule: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly ruleId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Deleted */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly updateAlertRule: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly ruleId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly name?: string;
                    readonly enabled?: boolean;
                    readonly criteria?: {
                        /** @default [] */
                        readonly offers?: readonly string[];
                        /** @enum {string} */
                        readonly stage: "trial" | "initial_interest" | "active" | "customer" | "churned";
                        /** @default [] */
                        readonly sources?: readonly string[];
                        /** @default [] */
                        readonly countries?: readonly string[];
                        /** @default false */
                        readonly includeTest?: boolean;
                    };
                    readonly channelIds?: readonly string[];
                };
            };
        };
        readonly responses: {
            /** @description The rule */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertRule"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly testAlertRule: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly ruleId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Each channel, and ok when all succeeded */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly ok: boolean;
                        readonly results: readonly components["schemas"]["AlertTestResult"][];
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listAlertSends: {
        readonly parameters: {
            readonly query?: {
                readonly leadId?: string;
                readonly channelId?: string;
                readonly limit?: number;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Alerts */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["AlertSend"][];
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getAlertSend: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly sendId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The alert */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertSendDetail"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly replayAlertSend: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly sendId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The alert, queued */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AlertSend"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listLeadAlerts: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly leadId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Alerts, newest first */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["AlertSend"][];
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getAlertDigest: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The digest settings */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["DigestSettings"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly setAlertDigest: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @enum {string} */
                    readonly frequency: "daily" | "weekly" | "off";
                    /** @default [] */
                    readonly emails?: readonly string[];
                };
            };
        };
        readonly responses: {
            /** @description The digest settings */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["DigestSettings"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getAuthConfig: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The sign-in options */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AuthConfig"];
                };
            };
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly signIn: {
        readonly parameters: {
            readonly query?: {
                /** @description The invitation token of an invitation link */
                readonly invitation?: string;
                /** @description A path of this site to come back to; anything else is / */
                readonly returnTo?: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description To the identity provider */
            readonly 302: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly finishSignIn: {
        readonly parameters: {
            readonly query?: {
                readonly code?: string;
                readonly state?: string;
                readonly error?: string;
                readonly error_description?: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Signed in, to the page sign-in began on; or refused, to the sign-in page */
            readonly 303: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly signOut: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Signed out here */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        /** @description The provider's end-session URL to visit */
                        readonly endSessionUrl: string | null;
                    };
                };
            };
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly revokeAllSessions: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Sessions ended */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly revoked: number;
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listPeople: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description People */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["Person"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly invitePerson: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** Format: email */
                    readonly email: string;
                    /** @enum {string} */
                    readonly role: "viewer" | "editor" | "admin" | "owner";
                };
            };
        };
        readonly responses: {
            /** @description The invitation */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["CreatedInvitation"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly removePerson: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly personId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Removed */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly changePersonRole: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly personId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @enum {string} */
                    readonly role: "viewer" | "editor" | "admin" | "owner";
                };
            };
        };
        readonly responses: {
            /** @description The person */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Person"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getTenantSignIn: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The setting */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["TenantSignIn"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly setTenantSignIn: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly entraTenantId: string | null;
                    /**
                     * @default viewer
                     * @enum {string}
                     */
                    readonly role?: "viewer" | "editor" | "admin" | "owner";
                };
            };
        };
        readonly responses: {
            /** @description The setting */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["TenantSignIn"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listApiKeys: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Keys */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["ApiKey"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly createApiKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly name: string;
                    readonly scopes: readonly ("ingest" | "read" | "admin")[];
                };
            };
        };
        readonly responses: {
            /** @description The key with its secret */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ApiKeyWithSecret"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly rotateApiKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly keyId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @default 0 */
                    readonly overlapHours?: number;
                };
            };
        };
        readonly responses: {
            /** @description The new key with its secret, and the previous one */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ApiKeyWithSecret"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly revokeApiKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly keyId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Revoked */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listIngestTokens: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Tokens (hints only) */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["IngestToken"][];
                    };
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly rotateIngestToken: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @default 72 */
                    readonly overlapHours?: number;
                };
            };
        };
        readonly responses: {
            /** @description The new token and URL, and every token now */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RotatedIngestToken"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly revokeIngestToken: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly tokenId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Revoked */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly eraseCustomer: {
        readonly parameters: {
            readonly query: {
                readonly email: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description What was erased */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ErasureResult"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getRetention: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The settings */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RetentionSettings"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly setRetention: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly attemptsDays: number;
                    readonly leadEventsIdleMonths: number;
                    readonly auditMonths: number;
                };
            };
        };
        readonly responses: {
            /** @description The settings */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RetentionSettings"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listSaasRelayCalls: {
        readonly parameters: {
            readonly query?: {
                readonly limit?: number;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The calls, newest first */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["SaasRelayCall"][];
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly getSubscriptionSource: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The source */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SubscriptionSource"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly putSubscriptionSource: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    readonly entraTenantId: string;
                    readonly clientId: string;
                    readonly clientSecret?: string;
                    readonly certificate?: {
                        readonly certificatePem: string;
                        readonly privateKeyPem: string;
                    };
                    readonly enabled?: boolean;
                    readonly relayUrl?: string | null;
                    readonly rotateRelayToken?: boolean;
                };
            };
        };
        readonly responses: {
            /** @description The source */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SubscriptionSource"];
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly deleteSubscriptionSource: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Deleted */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly pollSubscriptions: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description What the poll read and recorded */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SubscriptionPollSummary"];
                };
            };
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly listLeadSubscriptions: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly leadId: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Subscriptions */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly items: readonly components["schemas"]["Subscription"][];
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
    readonly relaySaasWebhook: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The relay token (lr_saas_…) from the relay URL */
                readonly token: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["SaasWebhookCallInput"];
            };
        };
        readonly responses: {
            /** @description Stored durably for relay (committed before this answer) */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": {
                        readonly callId: string;
                        /** @description Microsoft sent this operation before; it is relayed once */
                        readonly duplicate: boolean;
                    };
                };
            };
            readonly 400: components["responses"]["Problem"];
            readonly 401: components["responses"]["Problem"];
            readonly 403: components["responses"]["Problem"];
            readonly default: components["responses"]["Problem"];
        };
    };
}
