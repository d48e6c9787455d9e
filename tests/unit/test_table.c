/*
 * test_table.c — the insertion-ordered string table and string objects.
 */
#include <config.h>

#include <stdio.h>

#include "check.h"
#include "mem.h"
#include "object.h"
#include "table.h"

static void test_set_get(void) {
  Table t;
  table_init(&t);
  CHECK(!table_get_cstr(&t, "mu", 2, &(Value){0}));
  CHECK(table_set(&t, string_from_cstr("mu"), NUM_VAL(2.385)));
  CHECK(table_set(&t, string_from_cstr("sigma"), NUM_VAL(0.731)));
  CHECK(!table_set(&t, string_from_cstr("mu"), NUM_VAL(-4.25)));
  CHECK_EQ_INT(t.count, 2);
  Value v;
  CHECK(table_get(&t, string_from_cstr("mu"), &v));
  CHECK_NEAR(AS_NUM(v), -4.25, 0);
  CHECK(table_get_cstr(&t, "sigma", 5, &v));
  CHECK_NEAR(AS_NUM(v), 0.731, 0);
  CHECK(!table_get_cstr(&t, "sigm", 4, &v));
}

/* Many keys force several index rebuilds; order must survive them. */
static void test_growth_and_order(void) {
  Table t;
  table_init(&t);
  char key[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(key, sizeof key, "k%d", i * 7919 % 1000);
    table_set(&t, string_from_cstr(key), NUM_VAL(i));
  }
  CHECK_EQ_INT(t.count, 1000);
  int in_order = 1;
  for (int i = 0; i < 1000; i++) {
    snprintf(key, sizeof key, "k%d", i * 7919 % 1000);
    in_order &= strcmp(t.entries[i].key->chars, key) == 0;
    in_order &= AS_NUM(t.entries[i].value) == i;
  }
  CHECK(in_order);
  Value v;
  CHECK(table_get_cstr(&t, "k999", 4, &v));
}

static void test_delete(void) {
  Table t;
  table_init(&t);
  table_set(&t, string_from_cstr("a"), NUM_VAL(1));
  table_set(&t, string_from_cstr("b"), NUM_VAL(2));
  table_set(&t, string_from_cstr("c"), NUM_VAL(3));
  CHECK(table_delete(&t, string_from_cstr("b")));
  CHECK(!table_delete(&t, string_from_cstr("b")));
  CHECK_EQ_INT(t.count, 2);
  CHECK_EQ_STR(t.entries[0].key->chars, "a");
  CHECK_EQ_STR(t.entries[1].key->chars, "c");
  Value v;
  CHECK(table_get_cstr(&t, "c", 1, &v) && AS_NUM(v) == 3);
  CHECK(!table_get_cstr(&t, "b", 1, &v));
}

static void test_strings(void) {
  ObjString *a = string_from_cstr("theta");
  ObjString *b = string_new("theta_raw", 5);
  CHECK(string_equal(a, b));
  CHECK_EQ_INT(b->len, 5);
  CHECK_EQ_STR(b->chars, "theta");
  CHECK(!string_equal(a, string_from_cstr("theta ")));
  ObjString *f = string_format("%s[%d]", "beta", 3);
  CHECK_EQ_STR(f->chars, "beta[3]");
  CHECK(value_equal(OBJ_VAL(a), OBJ_VAL(b)));
}

int main(void) {
  mem_init();
  test_set_get();
  test_growth_and_order();
  test_delete();
  test_strings();
  return check_summary();
}
