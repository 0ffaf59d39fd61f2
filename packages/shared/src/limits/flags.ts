/**
 * What one site's feature flags may hold (src/flags). Its own module, like HEATMAP_LIMITS: the
 * dashboard's flag editor validates with these without carrying the whole LIMITS table.
 */
export const FLAG_LIMITS = {
  maxFlagsPerSite: 200,
  /** Flag keys, variant names and context attribute names are identifiers, not prose. */
  maxKeyLength: 64,
  maxVariantNameLength: 32,
  maxAttributeLength: 64,
  maxSeedLength: 64,
  maxDescriptionLength: 500,
  maxVariants: 16,
  /** A variant's value as JSON (an object or a string); the loader carries every one. */
  maxVariantBytes: 4 * 1024,
  maxRules: 50,
  maxConditionsPerRule: 20,
  /** Values in one `in` / `notIn` list. */
  maxListValues: 1_000,
  /** One string a condition compares with (a path prefix, a list entry). */
  maxConditionValueLength: 256,
  /**
   * Flags of a site that split its heatmaps by their variants (`heatmaps: true`): each one adds a
   * copy of every heat count per variant served, so a site's heatmap rows grow with them.
   */
  maxHeatmapFlags: 3,
  /**
   * A site's whole record as JSON. The bounds above multiply to gigabytes; KV takes 25 MiB a
   * value, and the public part of the record ships in the site's loader to every visitor.
   */
  maxRecordBytes: 1024 * 1024,
  /** An OFREP request's body (`{ context }`) as sent: a key and a few attributes. */
  maxContextBytes: 8 * 1024,
  /** Attributes of one OFREP context, targetingKey included. */
  maxContextAttributes: 50,
  /** A user id, a session id or a hash of one; it is hashed on every split. */
  maxTargetingKeyLength: 256,
  /** How long an edge isolate trusts the flag record it read; KV itself takes about 60 s to propagate. */
  edgeCacheMs: 10_000,
  /** Flag records one isolate keeps, as JSON text: one may be maxRecordBytes, an isolate has 128 MB. */
  edgeCacheBytes: 8 * 1024 * 1024,
  /** Browser cache of a loader that carries flags: a kill switch reaches a returning visitor within it. */
  loaderMaxAgeSeconds: 60,
} as const;

/**
 * A flag key and one of its variant names, `<key>=<variant>`: a `flag` breakdown value and the
 * recordings list's filter. Here, not in the schemas, so the dashboard checks it without zod.
 */
export const FLAG_VARIANT = new RegExp(
  `^[a-z0-9][a-z0-9._-]{0,${FLAG_LIMITS.maxKeyLength - 1}}=[a-z0-9][a-z0-9._-]{0,${FLAG_LIMITS.maxVariantNameLength - 1}}$`,
);
