/*
 * table.h — a hash map from strings to values that keeps insertion order.
 *
 * Entries live in a dense array in insertion order (records print their
 * fields in the order written); an open-addressing index of int32 positions
 * finds them by hash. Keys are compared by contents.
 */
#ifndef PPL_TABLE_H
#define PPL_TABLE_H

#include "value.h"

typedef struct ObjString ObjString;

typedef struct TableEntry {
  ObjString *key;
  Value value;
} TableEntry;

typedef struct Table {
  TableEntry *entries; /* count used, in insertion order */
  size_t count;
  size_t cap;
  int32_t *index; /* index_cap slots, -1 empty; atomic */
  size_t index_cap;
} Table;

void table_init(Table *t);
/* Returns true and sets *out when key is present. */
bool table_get(const Table *t, const ObjString *key, Value *out);
bool table_get_cstr(const Table *t, const char *key, size_t len, Value *out);
/* Inserts or overwrites; returns true when the key was new. */
bool table_set(Table *t, ObjString *key, Value v);
/* Removes key (keeping the order of the others); true if it was present. */
bool table_delete(Table *t, const ObjString *key);

#endif
