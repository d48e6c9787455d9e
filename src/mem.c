/*
 * mem.c — Boehm GC glue: allocation, totals and collector-aware threads.
 *
 * GC_THREADS is defined before <gc.h> so that GC_pthread_create is used and
 * chain threads (one per MCMC chain) are scanned as roots.
 */
#include <config.h>
#include "mem.h"

#define GC_THREADS
#include <gc.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* One marker thread unless the user asks for more (GC_MARKERS): ppl's heap
 * is small (bulk numbers are atomic and never scanned), and starting
 * parallel markers costs a few milliseconds of every startup. */
void mem_init(void) {
  if (!getenv("GC_MARKERS"))
    GC_set_markers_count(1);
  GC_INIT();
  GC_allow_register_threads();
}

void *mem_alloc(size_t size) {
  void *p = GC_MALLOC(size ? size : 1);
  if (!p)
    PANIC("out of memory");
  return p;
}

void *mem_alloc_atomic(size_t size) {
  void *p = GC_MALLOC_ATOMIC(size ? size : 1);
  if (!p)
    PANIC("out of memory");
  return p;
}

void *mem_realloc(void *ptr, size_t size) {
  void *p = GC_REALLOC(ptr, size ? size : 1);
  if (!p)
    PANIC("out of memory");
  return p;
}

void *mem_alloc_roots(size_t size) {
  char *p = calloc(1, size);
  if (!p)
    PANIC("out of memory");
  GC_add_roots(p, p + size);
  return p;
}

void mem_free_roots(void *ptr, size_t size) {
  if (!ptr)
    return;
  GC_remove_roots(ptr, (char *)ptr + size);
  free(ptr);
}

void mem_finalize(void *obj, void (*fn)(void *obj, void *data)) {
  GC_register_finalizer(obj, fn, NULL, NULL, NULL);
}

void mem_collect(void) {
  GC_gcollect();
  GC_invoke_finalizers();
}

char *mem_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = mem_alloc_atomic(n);
  memcpy(p, s, n);
  return p;
}

size_t mem_total_bytes(void) { return GC_get_total_bytes(); }

int mem_thread_create(pthread_t *thread, void *(*start)(void *), void *arg) {
  return GC_pthread_create(thread, NULL, start, arg);
}

int mem_thread_join(pthread_t thread, void **result) {
  return GC_pthread_join(thread, result);
}
