/**
 * The Graph API version every call uses, pinned in one place. v23.0 matches the OpenAPI spec the
 * tests validate requests against; Meta keeps each version for about two years.
 */
export const GRAPH_API_VERSION = "v23.0";

/** Meta's limits on what we send (OpenAPI TextMessage/Interactive schemas and the messages guide). */
export const LIMITS = {
  textBody: 4096,
  buttonTitle: 20,
  buttons: 3,
  interactiveBody: 1024,
  callbackData: 512,
} as const;
