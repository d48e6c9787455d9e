/*
 * model.h — binding a model block to data: the random variables, their
 * transforms and the log-density tape of a bound model.
 *
 * Calling a model block with data runs its body once, symbolically: a free
 * random variable evaluates to a model variable (a handle whose operators
 * and math builtins append instructions to the model's tape instead of
 * computing), observed ones to their data. What the body leaves behind is a
 * Model: its variables in declaration order, the log density of all of them
 * on one tape (in unconstrained space, Jacobians included), and which
 * variables each one depends on (for model_graph).
 *
 * Layout of theta: the free variables' unconstrained values, in declaration
 * order, each at its `offset`.
 */
#ifndef PPL_MODEL_H
#define PPL_MODEL_H

#include "dist.h"
#include "tape.h"
#include "transform.h"
#include "vm.h"

/* A distribution value: what `Normal(0, 1)` evaluates to. params are the
 * canonical parameters (numbers, vectors or model variables). */
typedef struct DistValue {
  const DistFamily *family;
  Value params[DIST_MAX_PARAMS];
  Value shape;    /* shape= (a number or vector of dims) or UNDEF */
  Value lower;    /* lower= / upper= bounds for the transform, or UNDEF */
  Value upper;
  Value observed; /* observed= data, or UNDEF */
  Value transform; /* transform="ordered", or UNDEF */
  Value sd_dist;   /* LKJCholeskyCov: the distribution of the standard
                      deviations (then family is LKJCorrCholesky), or UNDEF */
  void *gp;        /* GPMarginal: its kernel, inputs and noise (GC memory,
                      lib_gp_model.c), or NULL */
  /* Called by `name ~ d` with the data when name is observed, before
   * anything is recorded; false with an error set rejects them (GPMarginal:
   * one finite value per input point). NULL: no check beyond the
   * family's. */
  bool (*check_data)(VM *vm, const struct DistValue *d, ObjString *name,
                     Value data);
} DistValue;

typedef enum { RV_FREE, RV_OBSERVED, RV_INTERVENED } RvRole;

/* One random variable (or deterministic node) of a bound model. */
typedef struct RandomVar {
  ObjString *name;
  const char *file; /* where it was declared */
  int line;
  RvRole role;
  bool deterministic;     /* a `let` node, not a random variable */
  const DistFamily *family;
  DistValue *dist;
  TapeSlot value;         /* its value (constrained) */
  TapeSlot params[DIST_MAX_PARAMS]; /* its distribution's parameters */
  TapeSlot term;          /* its log density (scalar), or TAPE_NONE */
  TapeSlot jac;           /* free: log-Jacobian of its transform, or NONE */
  int ndim;
  size_t rows, cols, len; /* shape of the value */
  /* free variables: */
  size_t offset;          /* into theta */
  size_t size;            /* unconstrained length */
  TransformKind transform;
  TapeSlot lower_slot, upper_slot; /* transform bounds, or TAPE_NONE */
  double lower, upper;    /* constant bounds when the slots are TAPE_NONE */
  /* parents: ids of the variables this one's distribution depends on */
  int *parents;
  int nparents;
} RandomVar;

typedef struct Model {
  ObjString *name;
  ObjClosure *closure;
  Value *args;
  int nargs;
  ObjRecord *interventions; /* do(): name -> fixed value, or NULL */
  ObjRecord *observations;  /* observe(): name -> data, or NULL */
  Tape *tape;               /* malloc-owned; freed with the model (by
                               the finaliser of `owner`, see model.c) */
  struct ModelTapeOwner *owner; /* the only pointer to the tape's owner */
  RandomVar **vars;         /* declaration order */
  int nvars;
  size_t dim;               /* length of theta */
  int nfree_discrete;       /* free variables of discrete families */
  bool without_jacobian;    /* the log density leaves out the transforms'
                               Jacobians (MAP, as PyMC's find_MAP) */
  struct Model *map_model;  /* the same model without Jacobians, made on
                               first use by find_map */
} Model;

/* The handle class of bound models and of model variables. */
extern const HandleClass model_class;
extern const HandleClass model_var_class;
extern const HandleClass dist_class;

/* The Model inside a bound-model value, or NULL (error set) when v is not
 * one; fn names the builtin for the message. */
Model *model_get(VM *vm, Value v, const char *fn);

/* Binds closure to args again with interventions / observations (do and
 * observe); either record may be NULL. */
bool model_rebind(VM *vm, const Model *m, ObjRecord *interventions,
                  ObjRecord *observations, Value *out);

/* The model's twin whose log density has no Jacobian terms (for MAP);
 * NULL with an error set if binding again fails. */
Model *model_without_jacobian(VM *vm, Model *m);

/* Registers the model hooks with the VM (called by lib_model_register). */
void model_install(VM *vm);

/* Potential(expr): adds a scalar term to the model being bound; false
 * (error set) outside a binding or for a non-scalar expr. */
bool model_add_potential(VM *vm, Value term);

/* Applies a tape op to a model variable v (e.g. CHOLESKY of a symbolic
 * covariance); false with an error when v is not one. */
bool model_apply_op(VM *vm, TapeOp op, Value v, Value *out);

/* Whether v is a model variable (a value that only has meaning inside a
 * binding). */
bool model_is_var(Value v);

/* The tape slot of model variable v, and its shape (ndim 0, 1 or 2; rows,
 * cols; any pointer may be NULL); TAPE_NONE when v is not one. The slot
 * belongs to the tape of the binding that made v. */
TapeSlot model_var_slot(Value v, int *ndim, size_t *rows, size_t *cols);

/* How many bound models' tapes are allocated and not yet freed by their
 * finaliser, over every VM of the process (a leak check for tests). */
size_t model_live_tapes(void);

/* Index of the free or observed variable called name, or -1. */
int model_find(const Model *m, const char *name);

#endif
