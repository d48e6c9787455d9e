/*
 * mem.h — the Boehm GC heap, wrapped.
 *
 * Every VM heap object lives here. The collector scans memory from
 * mem_alloc (pointers inside are followed) but not from mem_alloc_atomic
 * (numeric storage: never put a pointer there). The collector does not see
 * into malloc'd memory: never keep the only pointer to a GC object there.
 * Threads that touch GC objects must be created with mem_thread_create.
 */
#ifndef PPL_MEM_H
#define PPL_MEM_H

#include <pthread.h>
#include <stddef.h>

/* Starts the collector; call once, first thing in main (and in C tests). */
void mem_init(void);

/* Zeroed, scanned GC memory. Aborts (PANIC) when memory is exhausted. */
void *mem_alloc(size_t size);

/* Unzeroed GC memory that is never scanned for pointers (doubles, chars). */
void *mem_alloc_atomic(size_t size);

/* Resizes a block from either allocator; new tail bytes are unspecified. */
void *mem_realloc(void *ptr, size_t size);

/* Zeroed memory outside the collected heap whose words the collector scans
 * as roots: for the VM's value stack, which is large but mostly untouched
 * (calloc'd pages stay unmapped until used, so startup does not pay for
 * zeroing megabytes). Release with mem_free_roots. */
void *mem_alloc_roots(size_t size);
void mem_free_roots(void *ptr, size_t size);

/* Calls fn(obj, NULL) when the collector finds obj (from mem_alloc or
 * mem_alloc_atomic) unreachable: how GC objects release malloc-owned
 * resources (a tape). Finalisation is ordered: obj is not finalised while
 * another finalisable object reaches it, and never when obj reaches itself
 * (a cycle), so a finaliser belongs on an object that reaches nothing
 * finalisable that points back to it. */
void mem_finalize(void *obj, void (*fn)(void *obj, void *data));

/* A full collection, then the finalisers it made ready (for leak tests;
 * the collector runs on its own otherwise). */
void mem_collect(void);

/* GC copy of a C string (atomic). */
char *mem_strdup(const char *s);

/* Bytes currently allocated on the GC heap (for allocation-free checks). */
size_t mem_total_bytes(void);

/* pthread_create that registers the new thread with the collector. */
int mem_thread_create(pthread_t *thread, void *(*start)(void *), void *arg);

/* pthread_join through the collector. */
int mem_thread_join(pthread_t thread, void **result);

#endif
