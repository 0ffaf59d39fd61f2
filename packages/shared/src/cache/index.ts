/**
 * A per-isolate Map that holds at most `maxEntries`: adding a new key to a full map empties it
 * first. For memos of the hot path whose keys come from clients (site keys, User-Agents): the
 * common keys come back within moments, and a flood of distinct ones costs a miss each, never
 * memory. Simpler than an LRU, and as good when most traffic shares a few keys.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly maxEntries: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.maxEntries && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}
