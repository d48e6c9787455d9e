/*
 * table.c — insertion-ordered hash map from strings to values.
 *
 * Invariants: entries[0..count) hold live entries in insertion order;
 * index has index_cap (a power of two, >= 2 * count) slots, each -1 or a
 * position into entries; lookups probe linearly from hash & (index_cap-1).
 */
#include <config.h>
#include "table.h"

#include <string.h>

#include "mem.h"
#include "object.h"

enum { TABLE_MIN_INDEX = 8 };

void table_init(Table *t) { memset(t, 0, sizeof *t); }

/* Slot in index holding key's position, or the empty slot where it goes. */
static size_t probe(const Table *t, const char *key, size_t len,
                    uint32_t hash) {
  size_t mask = t->index_cap - 1;
  size_t i = hash & mask;
  for (;;) {
    int32_t pos = t->index[i];
    if (pos < 0)
      return i;
    const ObjString *k = t->entries[pos].key;
    if (k->hash == hash && k->len == len && memcmp(k->chars, key, len) == 0)
      return i;
    i = (i + 1) & mask;
  }
}

static void rebuild_index(Table *t, size_t index_cap) {
  t->index = mem_alloc_atomic(index_cap * sizeof(int32_t));
  t->index_cap = index_cap;
  memset(t->index, 0xff, index_cap * sizeof(int32_t));
  for (size_t e = 0; e < t->count; e++) {
    const ObjString *k = t->entries[e].key;
    t->index[probe(t, k->chars, k->len, k->hash)] = (int32_t)e;
  }
}

bool table_get_cstr(const Table *t, const char *key, size_t len, Value *out) {
  if (t->count == 0)
    return false;
  int32_t pos = t->index[probe(t, key, len, string_hash(key, len))];
  if (pos < 0)
    return false;
  *out = t->entries[pos].value;
  return true;
}

bool table_get(const Table *t, const ObjString *key, Value *out) {
  if (t->count == 0)
    return false;
  int32_t pos = t->index[probe(t, key->chars, key->len, key->hash)];
  if (pos < 0)
    return false;
  *out = t->entries[pos].value;
  return true;
}

bool table_set(Table *t, ObjString *key, Value v) {
  if (t->index_cap < 2 * (t->count + 1))
    rebuild_index(t, t->index_cap ? t->index_cap * 2 : TABLE_MIN_INDEX);
  size_t slot = probe(t, key->chars, key->len, key->hash);
  if (t->index[slot] >= 0) {
    t->entries[t->index[slot]].value = v;
    return false;
  }
  if (t->count == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : TABLE_MIN_INDEX / 2;
    TableEntry *e = mem_alloc(cap * sizeof(TableEntry));
    if (t->count)
      memcpy(e, t->entries, t->count * sizeof(TableEntry));
    t->entries = e;
    t->cap = cap;
  }
  t->entries[t->count].key = key;
  t->entries[t->count].value = v;
  t->index[slot] = (int32_t)t->count;
  t->count++;
  return true;
}

bool table_delete(Table *t, const ObjString *key) {
  if (t->count == 0)
    return false;
  int32_t pos = t->index[probe(t, key->chars, key->len, key->hash)];
  if (pos < 0)
    return false;
  memmove(&t->entries[pos], &t->entries[pos + 1],
          (t->count - (size_t)pos - 1) * sizeof(TableEntry));
  t->count--;
  rebuild_index(t, t->index_cap);
  return true;
}
