/*
 * modeleval.h — evaluating a bound model outside the VM's binding: points
 * (records of constrained values by name) to theta and back, the log
 * density as a LogDensity, ancestral draws. Shared by lib_model.c (logp,
 * find_map, sample_prior) and lib_sample.c (sample and predictive draws).
 */
#ifndef PPL_MODELEVAL_H
#define PPL_MODELEVAL_H

#include "model.h"
#include "rng.h"

/* An evaluator of one bound model: its tape state and scratch vectors. */
typedef struct Eval {
  Model *m;
  TapeState *st;
  double *theta; /* dim + 1 values, zeroed by eval_open */
  double *grad;
} Eval;

void eval_open(Eval *e, Model *m);
void eval_close(Eval *e);

/* False (error set) when m has discrete free variables, which have no
 * gradient; fn names the caller. */
bool no_discrete(VM *vm, const Model *m, const char *fn);

/* The numbers in v (a number, vector, matrix or list of numbers), or NULL. */
const double *numbers_of(Value v, size_t *len);

/* Writes free variable rv's unconstrained value for constrained values x
 * into e->theta; false when x is outside the support. */
bool unconstrain_var(Eval *e, const RandomVar *rv, const double *x);

/* Fills e->theta from a point record. Missing variables are an error;
 * *inside becomes false when a value is outside its support (then, if
 * strict, that is an error naming the variable, its value and line). */
bool point_to_theta(VM *vm, Eval *e, ObjRecord *point, const char *fn,
                    bool *inside);
bool point_to_theta_checked(VM *vm, Eval *e, ObjRecord *point,
                            const char *fn, bool *inside, bool strict);

/* The value of a slot after the last sweep, as a ppl value. */
Value slot_value(const Eval *e, TapeSlot s);
/* The free and deterministic variables' values at e->theta. */
ObjRecord *theta_to_record(Eval *e);

/* LogDensity.fn over an Eval (ctx). */
double eval_density(void *ctx, const double *theta, double *grad);
/* Names the first variable whose term is -inf or NaN at e->theta. */
bool explain_bad_start(VM *vm, Eval *e, const char *fn);

DistTensor tensor_of_slot(const Eval *e, TapeSlot s);
/* One ancestral draw of every variable (observed ones too, into out[i],
 * rv->len values each; free ones also into e->theta). */
bool draw_once(VM *vm, Eval *e, Rng *rng, double **out);

#endif
