/*
 * common.h — includes and assertions every ppl source file shares.
 *
 * PANIC and ASSERT are for internal faults only (broken invariants, out of
 * memory): never for anything a user can cause. They print
 * "ppl: internal error at file.c:123: ..." and abort.
 */
#ifndef PPL_COMMON_H
#define PPL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PPL_UNUSED(x) ((void)(x))

/* Prints an internal-error message naming the C source position and aborts. */
_Noreturn void panic_at(const char *file, int line, const char *msg);

#define PANIC(msg) panic_at(__FILE__, __LINE__, (msg))
#define ASSERT(cond)                                                          \
  do {                                                                        \
    if (!(cond))                                                              \
      panic_at(__FILE__, __LINE__, "assertion failed: " #cond);              \
  } while (0)

#endif
