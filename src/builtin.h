/*
 * builtin.h — registering builtins and checking their arguments.
 *
 * Every builtin binds its arguments with args_bind, then reads them through
 * args_* checkers, so every error is worded the same way:
 *   rnormal(): argument 3 'sigma' must be positive, got -1
 *   rnormal(): missing required argument 'n'
 *   rnormal(): unknown keyword argument 'sd' (did you mean 'seed'?)
 * (the style of Lua's luaL_argcheck and Stan's check_positive).
 *
 *   static bool b_rnormal(VM *vm, const CallArgs *call, Value *result) {
 *     static const char *const names[] = {"n", "mu", "sigma", "seed", NULL};
 *     Args a;
 *     size_t n; double mu, sigma;
 *     if (!args_bind(&a, vm, call, "rnormal", names, 1) ||
 *         !args_count(&a, 0, &n) || !args_num_or(&a, 1, 0.0, &mu) ||
 *         !args_positive_or(&a, 2, 1.0, &sigma))
 *       return false;
 *     ...
 *   }
 */
#ifndef PPL_BUILTIN_H
#define PPL_BUILTIN_H

#include "vm.h"

enum { ARGS_MAX = 24 };

/* The most elements a builtin creates from a size the user gives (2 GiB of
 * doubles): past it, an error instead of an out-of-memory abort. */
#define BUILTIN_MAX_ELEMENTS ((size_t)1 << 28)

typedef struct BuiltinDef {
  const char *name;
  NativeFn fn;
  const char *help; /* "rnormal(n, mu=0, sigma=1, seed=nil): n normal draws" */
} BuiltinDef;

/* Defines each builtin of a {NULL}-terminated table as a global. */
void builtin_register(VM *vm, const BuiltinDef *defs);

/* Registers every builtin library (called by vm_new). */
void builtin_register_all(VM *vm);

typedef struct Args {
  VM *vm;
  const char *fn;
  const char *const *names;
  int n;
  Value v[ARGS_MAX]; /* UNDEF_VAL when not given */
} Args;

/* Binds positional then keyword arguments to the NULL-terminated parameter
 * names; the first nrequired must be given. False (error set) on too many
 * positional arguments, an unknown or repeated keyword, or a missing one. */
bool args_bind(Args *a, VM *vm, const CallArgs *call, const char *fn,
               const char *const names[], int nrequired);

/* Was parameter i given (and not nil)? */
bool args_given(const Args *a, int i);

/* Checkers: parameter i must be given (unless an _or variant supplies the
 * default) and of the right kind; on failure they set an error naming the
 * argument and return false. */
bool args_num(Args *a, int i, double *out);
bool args_num_or(Args *a, int i, double dflt, double *out);
bool args_positive(Args *a, int i, double *out);
bool args_positive_or(Args *a, int i, double dflt, double *out);
bool args_int(Args *a, int i, int64_t *out); /* a whole number */
bool args_int_or(Args *a, int i, int64_t dflt, int64_t *out);
bool args_count(Args *a, int i, size_t *out); /* a whole number >= 0 */
bool args_count_or(Args *a, int i, size_t dflt, size_t *out);
/* A count of elements to create: as args_count, at most
 * BUILTIN_MAX_ELEMENTS. */
bool args_size(Args *a, int i, size_t *out);
bool args_bool_or(Args *a, int i, bool dflt, bool *out);
bool args_string(Args *a, int i, ObjString **out);
bool args_string_or(Args *a, int i, const char *dflt, const char **out);
/* A vector or matrix as it is. */
bool args_tensor(Args *a, int i, ObjTensor **out);
/* A vector: accepts a vector, a number (length 1), a list of numbers or a
 * range (converted); a matrix is an error. */
bool args_vector(Args *a, int i, ObjTensor **out);
bool args_list(Args *a, int i, ObjList **out);
bool args_record(Args *a, int i, ObjRecord **out);
bool args_callable(Args *a, int i, Value *out);
/* Sets "fn(): argument i+1 'name' <what>" as the error; returns false. */
bool args_error(Args *a, int i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Converts a number, vector, list of numbers or range to a new vector;
 * NULL when v is none of these. */
ObjTensor *builtin_to_vector(Value v);

/* The builtin libraries, one registration function each (lib_*.c). */
void lib_core_register(VM *vm);   /* print, len, type, str, range, ... */
void lib_math_register(VM *vm);   /* exp, log, lgamma, erf, logsumexp, ... */
void lib_vector_register(VM *vm); /* zeros, sum, sort, matmul, ... */
void lib_random_register(VM *vm); /* rnormal, runif, set_seed, ... */
void lib_io_register(VM *vm);     /* read_csv, write_csv, ... */
void lib_string_register(VM *vm); /* format, split, join, ... */
void lib_ffi_register(VM *vm);    /* dlopen, foreign, ... */
void lib_model_register(VM *vm);  /* distributions, logp, find_map, ... */
void lib_json_register(VM *vm);   /* read_json */
void lib_gp_register(VM *vm);     /* kernels, gp_fit, predict, gp_sample */
void lib_sample_register(VM *vm); /* NUTS, sample, resume, ... */
void lib_trace_register(VM *vm);  /* summary, save_csv, load_csv, rhat */
void lib_plot_register(VM *vm);   /* line, hist, plot, plot_trace, ... */
void lib_nn_register(VM *vm);     /* networks, train_gan, train_vae, ... */

#endif
