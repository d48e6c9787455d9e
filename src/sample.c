/*
 * sample.c — the chain driver (see sample.h): worker threads run chains,
 * the calling thread watches them, draws the progress bar and passes on a
 * stop request.
 *
 * A chain's iterations are numbered from 0 over its whole life: the first
 * `tune` are warm-up (step methods adapt; nothing is kept), end_tuning runs
 * at the start of iteration `tune`, and every later iteration keeps a
 * draw. A run (sample or resume) moves each chain to its `goal` iteration,
 * so splitting a run in two, or stopping and resuming it, replays exactly
 * the same iterations.
 */
#include <config.h>
#include "sample.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"
#include "common.h"
#include "mem.h"
#include "rng.h"
#include "summary.h"

/* How often the watcher looks at the chains, and redraws the bar. */
#define WATCH_SLEEP_NS 20000000L
#define BAR_REDRAW_S 0.2
#define RHAT_EVERY_S 1.0
/* A worker's turn on one chain. */
#define SLICE_S 0.02
/* Attempts at a finite starting point before a chain gives up. */
enum { INIT_TRIES = 100 };

typedef struct Chain {
  int index;
  TapeState *st;
  Rng *rng;
  double *theta, *grad, logp;
  void **states; /* one per step spec */
  size_t iter;   /* iterations run over the chain's life */
  size_t goal;   /* iteration to reach in the current run */
  size_t start_iter; /* iter when the current run began */
  bool tuned;    /* end_tuning has run */
  double *row;   /* one draw of the traced variables */
  /* read by the watcher */
  size_t done;   /* atomic: iterations run in the current run */
  size_t divergences; /* atomic: divergent kept draws, over the life */
  double step_size;   /* last step size (racy read is fine) */
  bool finished;      /* atomic */
  double t_end;       /* when it finished (written before `finished`) */
  bool running;       /* a worker holds it (under SampleRun.lock) */
} Chain;

struct SampleRun {
  Model *m;     /* reachable through trace->model */
  size_t dim;
  TapeSlot *slots; /* the traced variables' value slots */
  StepSpec *steps;
  int nsteps;
  int primary;  /* the spec whose stats describe a draw */
  bool gradient; /* some spec needs the gradient */
  int nchains;
  Chain *chains;
  size_t tune, requested;
  int cores;
  Trace *trace;
  volatile int *stop;
  /* Scheduling: workers take turns on the chains in time slices, the
   * least advanced first, so that with fewer cores than chains every
   * chain moves on together (and a Ctrl-C finds draws in all of them). */
  pthread_mutex_t lock;
  pthread_cond_t returned; /* a chain was handed back */
};

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    PANIC("out of memory setting up the chains");
  return p;
}

/* ---- the run's lifetime ------------------------------------------------ */

static void run_free(struct SampleRun *r) {
  if (!r)
    return;
  for (int c = 0; c < r->nchains; c++) {
    Chain *ch = &r->chains[c];
    for (int k = 0; k < r->nsteps; k++)
      if (ch->states && ch->states[k])
        r->steps[k].method->free(ch->states[k]);
    free(ch->states);
    if (ch->st)
      tape_state_free(ch->st);
    if (ch->rng)
      rng_free(ch->rng);
    free(ch->theta);
    free(ch->grad);
    free(ch->row);
  }
  for (int k = 0; k < r->nsteps; k++)
    free(r->steps[k].idx);
  free(r->steps);
  free(r->chains);
  free(r->slots);
  pthread_mutex_destroy(&r->lock);
  pthread_cond_destroy(&r->returned);
  free(r);
}

static bool traced(const RandomVar *rv) {
  if (rv->value == TAPE_NONE)
    return false;
  return rv->deterministic || rv->role == RV_FREE;
}

/* The trace's variables are the model's free variables and deterministics
 * in declaration order. */
static void describe_vars(struct SampleRun *r, Trace *t) {
  const Model *m = r->m;
  int n = 0;
  for (int i = 0; i < m->nvars; i++)
    n += traced(m->vars[i]);
  r->slots = xcalloc((size_t)n, sizeof *r->slots);
  n = 0;
  for (int i = 0; i < m->nvars; i++) {
    const RandomVar *rv = m->vars[i];
    if (!traced(rv))
      continue;
    r->slots[n++] = rv->value;
    bool discrete = !rv->deterministic && rv->family && rv->family->discrete;
    trace_add_var(t, rv->name->chars, rv->ndim, rv->rows, rv->cols,
                  rv->deterministic, discrete);
  }
}

static double chain_density(void *ctx, const double *theta, double *grad) {
  Chain *ch = ctx;
  return grad ? tape_logp_grad(ch->st, theta, grad)
              : tape_logp(ch->st, theta);
}

static void method_name(const struct SampleRun *r, char *buf, size_t size) {
  buf[0] = '\0';
  for (int k = 0; k < r->nsteps; k++) {
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s", k ? "+" : "",
             r->steps[k].method->name);
  }
}

/* ---- one chain ---------------------------------------------------------- */

static void record_draw(struct SampleRun *r, Chain *ch, const StepStats *s) {
  Trace *t = r->trace;
  tape_forward(ch->st, ch->theta);
  double *row = ch->row;
  for (int v = 0; v < t->nvars; v++)
    memcpy(row + t->vars[v].offset, tape_value(ch->st, r->slots[v]),
           t->vars[v].len * sizeof(double));
  double stats[TRACE_NSTATS];
  stats[TRACE_LP] = ch->logp;
  stats[TRACE_ACCEPT_STAT] = s->accept_stat;
  stats[TRACE_STEP_SIZE] = s->step_size;
  stats[TRACE_TREE_DEPTH] = s->tree_depth;
  stats[TRACE_N_LEAPFROG] = s->n_leapfrog;
  stats[TRACE_DIVERGENT] = s->divergent ? 1.0 : 0.0;
  stats[TRACE_ENERGY] = s->energy;
  /* Room was reserved before the threads started, so the arrays do not
   * move; the release store publishes the row to the watcher. */
  TraceChain *tc = &t->chains[ch->index];
  size_t n = tc->ndraws;
  memcpy(tc->values + n * t->width, row, t->width * sizeof(double));
  memcpy(tc->stats + n * TRACE_NSTATS, stats, sizeof stats);
  __atomic_store_n(&tc->ndraws, n + 1, __ATOMIC_RELEASE);
  if (s->divergent)
    __atomic_add_fetch(&ch->divergences, 1, __ATOMIC_RELAXED);
}

/* One iteration: every step method in turn (a Gibbs sweep over the specs);
 * the draw's statistics are the primary method's, with leapfrog steps
 * summed and divergence from any. */
static void iterate(struct SampleRun *r, Chain *ch, const LogDensity *d,
                    bool tuning, StepStats *out) {
  memset(out, 0, sizeof *out);
  out->energy = NAN;
  int nlf = 0;
  bool div = false;
  for (int k = 0; k < r->nsteps; k++) {
    StepStats s = {0};
    s.energy = NAN;
    r->steps[k].method->step(ch->states[k], d, ch->rng, ch->theta, &ch->logp,
                             r->gradient ? ch->grad : NULL, tuning, &s);
    nlf += s.n_leapfrog;
    div = div || s.divergent;
    if (k == r->primary)
      *out = s;
  }
  out->n_leapfrog = nlf;
  out->divergent = div;
  ch->step_size = out->step_size;
}

/* Runs chain ch for about SLICE_S seconds (or to its goal). */
static void run_slice(struct SampleRun *r, Chain *ch) {
  LogDensity d = {r->dim, chain_density, ch};
  const double until = now_seconds() + SLICE_S;
  while (ch->iter < ch->goal && !*r->stop) {
    bool tuning = ch->iter < r->tune;
    if (!tuning && !ch->tuned) {
      for (int k = 0; k < r->nsteps; k++)
        r->steps[k].method->end_tuning(ch->states[k]);
      ch->tuned = true;
    }
    StepStats s;
    iterate(r, ch, &d, tuning, &s);
    ch->iter++;
    if (!tuning)
      record_draw(r, ch, &s);
    __atomic_add_fetch(&ch->done, 1, __ATOMIC_RELAXED);
    if (now_seconds() >= until)
      break;
  }
  if (ch->iter >= ch->goal || *r->stop) {
    ch->t_end = now_seconds();
    __atomic_store_n(&ch->finished, true, __ATOMIC_RELEASE);
  }
}

/* The unfinished chain no worker holds that is least advanced; NULL when
 * every chain is finished. Waits while the only unfinished ones are held.
 * Called with r->lock held. */
static Chain *take_chain(struct SampleRun *r) {
  for (;;) {
    Chain *best = NULL;
    bool unfinished = false;
    for (int c = 0; c < r->nchains; c++) {
      Chain *ch = &r->chains[c];
      if (__atomic_load_n(&ch->finished, __ATOMIC_ACQUIRE))
        continue;
      unfinished = true;
      if (!ch->running && (!best || ch->iter < best->iter))
        best = ch;
    }
    if (best || !unfinished)
      return best;
    pthread_cond_wait(&r->returned, &r->lock);
  }
}

static void *worker(void *arg) {
  struct SampleRun *r = arg;
  pthread_mutex_lock(&r->lock);
  for (;;) {
    Chain *ch = take_chain(r);
    if (!ch)
      break;
    ch->running = true;
    pthread_mutex_unlock(&r->lock);
    run_slice(r, ch);
    pthread_mutex_lock(&r->lock);
    ch->running = false;
    pthread_cond_broadcast(&r->returned);
  }
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

/* ---- the watcher: progress bar ------------------------------------------ */

typedef struct Bar {
  FILE *out;
  bool on;
  int lines;     /* lines drawn last time (to move back up) */
  double t0, last_draw, last_rhat;
  double rhat;
  char rhat_name[96];
} Bar;

static void fmt_time(char *buf, size_t size, double s) {
  if (!isfinite(s) || s < 0)
    snprintf(buf, size, "--:--");
  else if (s < 3600)
    snprintf(buf, size, "%02d:%02d", (int)s / 60, (int)s % 60);
  else
    snprintf(buf, size, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60,
             (int)s % 60);
}

static void bar_draw(Bar *b, const struct SampleRun *r) {
  if (!b->on)
    return;
  double now = now_seconds(), elapsed = now - b->t0;
  if (b->lines)
    fprintf(b->out, "\033[%dA", b->lines);
  int lines = 0;
  for (int c = 0; c < r->nchains; c++) {
    const Chain *ch = &r->chains[c];
    size_t done = __atomic_load_n(&ch->done, __ATOMIC_RELAXED);
    size_t total = ch->goal - ch->start_iter;
    size_t iter = ch->start_iter + done;
    double frac = total ? (double)done / (double)total : 1.0;
    enum { WIDTH = 24 };
    char bar[WIDTH * 3 + 1];
    size_t fill = (size_t)(frac * WIDTH + 0.5), pos = 0;
    for (size_t k = 0; k < WIDTH; k++) {
      const char *glyph = k < fill ? "\u2588" : "\u2591";
      size_t len = strlen(glyph);
      memcpy(bar + pos, glyph, len);
      pos += len;
    }
    bar[pos] = '\0';
    double span = __atomic_load_n(&ch->finished, __ATOMIC_ACQUIRE)
                      ? ch->t_end - b->t0
                      : elapsed;
    double rate = span > 0 ? (double)done / span : 0.0;
    char left[32];
    fmt_time(left, sizeof left,
             rate > 0 ? (double)(total - done) / rate : NAN);
    fprintf(b->out,
            "\r\033[Kchain %d %s %3.0f%% %5zu/%zu %s %7.0f it/s  eps %.3g  "
            "%zu div  %s left\n",
            c + 1, bar, 100 * frac, done, total,
            iter < r->tune ? "warmup" : "draws ", rate, ch->step_size,
            __atomic_load_n(&ch->divergences, __ATOMIC_RELAXED), left);
    lines++;
  }
  if (r->nchains > 1) {
    if (isfinite(b->rhat))
      fprintf(b->out, "\r\033[Kworst R-hat %.3f (%s)\n", b->rhat,
              b->rhat_name);
    else
      fprintf(b->out, "\r\033[Kworst R-hat: waiting for draws\n");
    lines++;
  }
  fflush(b->out);
  b->lines = lines;
  b->last_draw = now;
}

static void bar_update_rhat(Bar *b, const struct SampleRun *r) {
  int v = -1;
  size_t e = 0;
  b->rhat = summary_worst_rhat_at(r->trace, &v, &e);
  if (v >= 0) {
    StrBuf sb;
    strbuf_init(&sb);
    trace_elem_name(r->trace, v, e, &sb);
    snprintf(b->rhat_name, sizeof b->rhat_name, "%s", sb.data);
  }
  b->last_rhat = now_seconds();
}

/* Starts the workers, watches them until every chain is done, joins. */
static void run_chains(struct SampleRun *r, bool progress, FILE *err) {
  Trace *t = r->trace;
  for (int c = 0; c < r->nchains; c++) {
    Chain *ch = &r->chains[c];
    ch->start_iter = ch->iter;
    ch->done = 0;
    ch->finished = false;
    size_t keep_from = ch->iter > r->tune ? ch->iter : r->tune;
    size_t more = ch->goal > keep_from ? ch->goal - keep_from : 0;
    trace_reserve(t, c, more);
  }
  int nthreads = r->cores < r->nchains ? r->cores : r->nchains;
  if (nthreads < 1)
    nthreads = 1;
  pthread_t *th = xcalloc((size_t)nthreads, sizeof *th);
  const int blas_saved = blas_serial(); /* the chains are the parallelism */
  int started = 0;
  for (int k = 0; k < nthreads; k++)
    if (mem_thread_create(&th[k], worker, r) == 0)
      started++;
    else
      break;
  if (started == 0) /* no threads to be had: run them here */
    worker(r);

  Bar b = {err, progress && err && isatty(fileno(err)), 0, now_seconds(), 0,
           0, NAN, ""};
  /* Without a bar there is nothing to watch: the workers see a stop
   * request themselves, and joining them at once saves up to a
   * WATCH_SLEEP_NS nap per call (sample() in a loop, short runs). */
  while (b.on) {
    int finished = 0;
    for (int c = 0; c < r->nchains; c++)
      finished += __atomic_load_n(&r->chains[c].finished, __ATOMIC_ACQUIRE);
    if (finished == r->nchains)
      break;
    struct timespec ts = {0, WATCH_SLEEP_NS};
    nanosleep(&ts, NULL);
    double now = now_seconds();
    if (b.on && now - b.last_rhat >= RHAT_EVERY_S)
      bar_update_rhat(&b, r);
    if (b.on && now - b.last_draw >= BAR_REDRAW_S)
      bar_draw(&b, r);
  }
  for (int k = 0; k < started; k++)
    mem_thread_join(th[k], NULL);
  free(th);
  blas_serial_end(blas_saved);
  if (b.on) {
    bar_update_rhat(&b, r);
    bar_draw(&b, r);
  }
}

/* ---- sample and resume -------------------------------------------------- */

static bool chain_init(struct SampleRun *r, Chain *ch, uint64_t seed,
                       const double *init) {
  ch->rng = rng_alloc_stream(seed, (uint64_t)ch->index);
  ch->st = tape_state_alloc(r->m->tape);
  ch->theta = xcalloc(r->dim + 1, sizeof(double));
  ch->grad = xcalloc(r->dim + 1, sizeof(double));
  ch->row = xcalloc(r->trace->width + 1, sizeof(double));
  ch->states = xcalloc((size_t)r->nsteps, sizeof(void *));
  if (!ch->rng || !ch->st)
    return false;
  memcpy(ch->theta, init, r->dim * sizeof(double));
  for (int k = 0; k < r->nsteps; k++) {
    StepSpec *sp = &r->steps[k];
    ch->states[k] = sp->method->alloc(&sp->opt, r->dim, sp->idx, sp->nidx);
    if (!ch->states[k])
      return false;
  }
  ch->logp = r->gradient ? tape_logp_grad(ch->st, ch->theta, ch->grad)
                         : tape_logp(ch->st, ch->theta);
  return true;
}

Trace *sample_run(Model *m, SampleConfig *cfg, volatile int *stop_flag,
                  bool *interrupted) {
  struct SampleRun *r = xcalloc(1, sizeof *r);
  r->m = m;
  r->dim = m->dim;
  r->steps = cfg->steps;
  r->nsteps = cfg->nsteps;
  cfg->steps = NULL;
  r->primary = 0;
  for (int k = r->nsteps - 1; k >= 0; k--)
    if (r->steps[k].method->needs_gradient) {
      r->gradient = true;
      r->primary = k;
    }
  r->nchains = cfg->chains;
  r->tune = cfg->tune;
  r->requested = cfg->draws;
  r->cores = cfg->cores;
  r->stop = stop_flag;
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->returned, NULL);
  Trace *t = trace_new(cfg->chains);
  r->trace = t;
  t->run = r;
  t->run_free = run_free;
  t->tune = cfg->tune;
  for (int k = 0; k < r->nsteps; k++)
    if (r->steps[k].method == &mcmc_nuts)
      t->max_treedepth = r->steps[k].opt.max_treedepth > 0
                             ? r->steps[k].opt.max_treedepth
                             : 10;
  method_name(r, t->method, sizeof t->method);
  describe_vars(r, t);
  r->chains = xcalloc((size_t)r->nchains, sizeof *r->chains);
  for (int c = 0; c < r->nchains; c++) {
    Chain *ch = &r->chains[c];
    ch->index = c;
    if (!chain_init(r, ch, cfg->seed, cfg->init + (size_t)c * r->dim))
      return NULL; /* the finaliser frees what was made */
    ch->goal = cfg->tune + cfg->draws;
  }
  const struct SampleRun *f = cfg->warm_from ? cfg->warm_from->run : NULL;
  for (int c = 0; f && c < r->nchains; c++) {
    const Chain *src = &f->chains[c % f->nchains];
    for (int k = 0; k < r->nsteps; k++)
      if (r->steps[k].method->warm_start)
        r->steps[k].method->warm_start(r->chains[c].states[k], src->states[k]);
  }
  run_chains(r, cfg->progress, cfg->err);
  *interrupted = *stop_flag != 0;
  t->interrupted = *interrupted;
  return t;
}

bool sample_resume(Trace *t, size_t draws, bool progress, FILE *err,
                   volatile int *stop_flag, bool *interrupted) {
  struct SampleRun *r = t->run;
  if (!r)
    return false;
  size_t have = trace_ndraws(t);
  for (int c = 0; c < r->nchains; c++) {
    Chain *ch = &r->chains[c];
    size_t kept = t->chains[c].ndraws;
    size_t want = have + draws;
    /* iterations needed: finish warm-up, then the missing draws */
    ch->goal = r->tune + (want > kept ? want : kept);
    if (ch->goal < ch->iter)
      ch->goal = ch->iter;
  }
  r->stop = stop_flag;
  run_chains(r, progress, err);
  *interrupted = *stop_flag != 0;
  t->interrupted = *interrupted;
  return true;
}

size_t sample_requested(const Trace *t) {
  return t->run ? t->run->requested : 0;
}

bool sample_compatible(const Trace *from, const SampleConfig *cfg,
                       size_t dim, const char **why) {
  const struct SampleRun *f = from->run;
  if (!f) {
    *why = "it was loaded from a file and keeps no adaptation";
    return false;
  }
  if (f->dim != dim) {
    *why = "its model has a different number of free parameters";
    return false;
  }
  if (f->nsteps != cfg->nsteps) {
    *why = "it used different step methods";
    return false;
  }
  for (int k = 0; k < f->nsteps; k++)
    if (f->steps[k].method != cfg->steps[k].method ||
        f->steps[k].nidx != cfg->steps[k].nidx ||
        f->steps[k].opt.dense_mass != cfg->steps[k].opt.dense_mass) {
      *why = "it used different step methods";
      return false;
    }
  return true;
}

const double *sample_last_theta(const Trace *t, int c) {
  const struct SampleRun *r = t->run;
  return r && c >= 0 && c < r->nchains ? r->chains[c].theta : NULL;
}
