/*
 * panic.c — the one exit for internal faults.
 */
#include <config.h>
#include "common.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void panic_at(const char *file, int line, const char *msg) {
  fflush(stdout);
  fprintf(stderr, "ppl: internal error at %s:%d: %s\n", file, line, msg);
  abort();
}
