/*
 * lib_trace.h — what the trace builtins (lib_trace.c) share with other
 * builtins that take variables of a trace by name (lib_plot.c).
 */
#ifndef PPL_LIB_TRACE_H
#define PPL_LIB_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "builtin.h"
#include "trace.h"

/* The elements that name, given in argument i, stands for: a whole
 * variable ("theta": elements 0 .. len-1) or one element ("theta[2]"):
 * variable *var, elements *first .. *first + *count - 1. An unknown name
 * is an error on argument i that lists the trace's variables. */
bool lib_trace_name_arg(Args *a, int i, const Trace *t, const char *name,
                        int *var, size_t *first, size_t *count);

#endif
