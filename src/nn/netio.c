/*
 * netio.c — networks, RBMs and DBNs to and from text (netio.h).
 *
 * Reading is a small line-oriented parser: each line is a key and
 * values; what is wrong is reported with its line number.
 */
#include <config.h>
#include "nn/netio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mem.h"

enum { NETIO_VERSION = 1, LINE_MAX_LEN = 4096 };

/* Widths and counts read from a file stay within what the builtins can
 * make, so a damaged file cannot ask for absurd allocations. */
#define MAX_WEIGHTS ((size_t)1 << 28)

static bool save_weights(const double *w, size_t n, FILE *f) {
  for (size_t k = 0; k < n; k++)
    if (fprintf(f, "%.17g\n", w[k]) < 0)
      return false;
  return true;
}

bool nn_save_net(const NnNet *net, FILE *f) {
  fprintf(f, "ppl-network %d\nkind %s\nsizes", NETIO_VERSION,
          nn_kind_name(net->kind));
  for (size_t l = 0; l <= net->nlayers; l++)
    fprintf(f, " %zu", net->sizes[l]);
  fputs("\nacts", f);
  for (size_t l = 0; l < net->nlayers; l++)
    fprintf(f, " %s", nn_act_name(net->acts[l]));
  fprintf(f, "\ncond %zu\nheads %zu\nalpha %.17g\ndropout %.17g\n", net->cond,
          net->nheads, net->alpha, net->dropout);
  fprintf(f, "layer_norm %d\nweights %zu\n", net->layer_norm ? 1 : 0,
          net->nparams);
  return save_weights(net->theta, net->nparams, f) && !ferror(f);
}

static void save_rbm_body(const NnRbm *r, FILE *f) {
  fprintf(f, "visible %zu\nhidden %zu\n", r->nv, r->nh);
  save_weights(r->W, r->nv * r->nh, f);
  save_weights(r->b, r->nv, f);
  save_weights(r->c, r->nh, f);
}

bool nn_save_rbm(const NnRbm *r, FILE *f) {
  fprintf(f, "ppl-rbm %d\n", NETIO_VERSION);
  save_rbm_body(r, f);
  return !ferror(f);
}

bool nn_save_dbn(NnRbm *const *rbms, size_t n, FILE *f) {
  fprintf(f, "ppl-dbn %d\nlayers %zu\n", NETIO_VERSION, n);
  for (size_t l = 0; l < n; l++)
    save_rbm_body(rbms[l], f);
  return !ferror(f);
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct Reader {
  FILE *f;
  int line;
  char buf[LINE_MAX_LEN];
  char *err;
} Reader;

static bool bad(Reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool bad(Reader *r, const char *fmt, ...) {
  char msg[NN_ERR_LEN - 32];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(r->err, NN_ERR_LEN, "line %d: %s", r->line, msg);
  return false;
}

/* The next line without its newline; false at the end of the file. */
static bool next_line(Reader *r) {
  if (!fgets(r->buf, sizeof r->buf, r->f)) {
    snprintf(r->err, NN_ERR_LEN, "the file ends after line %d, too early",
             r->line);
    return false;
  }
  r->line++;
  r->buf[strcspn(r->buf, "\r\n")] = '\0';
  return true;
}

/* A line "key rest": returns rest, NULL (error set) for another key. */
static char *keyed(Reader *r, const char *key) {
  if (!next_line(r))
    return NULL;
  const size_t n = strlen(key);
  if (strncmp(r->buf, key, n) != 0 || (r->buf[n] != ' ' && r->buf[n] != '\0')) {
    bad(r, "expected '%s', found '%.40s'", key, r->buf);
    return NULL;
  }
  return r->buf + n + (r->buf[n] == ' ');
}

static bool parse_size(Reader *r, char **s, size_t max, size_t *out) {
  char *end;
  errno = 0;
  const unsigned long long v = strtoull(*s, &end, 10);
  if (end == *s || errno || v > max)
    return bad(r, "expected a whole number up to %zu", max);
  *out = (size_t)v;
  *s = end;
  return true;
}

static bool keyed_size(Reader *r, const char *key, size_t max, size_t *out) {
  char *s = keyed(r, key);
  return s && parse_size(r, &s, max, out);
}

static bool keyed_double(Reader *r, const char *key, double *out) {
  char *s = keyed(r, key), *end;
  if (!s)
    return false;
  *out = strtod(s, &end);
  return end != s || bad(r, "expected a number after '%s'", key);
}

static bool read_weights(Reader *r, double *w, size_t n) {
  for (size_t k = 0; k < n; k++) {
    if (!next_line(r))
      return false;
    char *end;
    w[k] = strtod(r->buf, &end);
    if (end == r->buf)
      return bad(r, "expected a weight, found '%.40s'", r->buf);
  }
  return true;
}

static bool read_acts(Reader *r, NnAct *acts, size_t n) {
  char *s = keyed(r, "acts");
  if (!s)
    return false;
  for (size_t l = 0; l < n; l++) {
    char *tok = strtok(l == 0 ? s : NULL, " ");
    if (!tok || !nn_act_lookup(tok, &acts[l]))
      return bad(r, "expected %zu activation names", n);
  }
  return true;
}

static bool read_net(Reader *r, NnLoaded *out) {
  char *s = keyed(r, "kind");
  NnKind kind;
  if (!s || !nn_kind_lookup(s, &kind))
    return s ? bad(r, "unknown kind of network '%.40s'", s) : false;
  size_t sizes[NN_MAX_LAYERS + 2], n = 0, cond, heads, ln, nw;
  if (!(s = keyed(r, "sizes")))
    return false;
  while (*s == ' ')
    s++;
  while (*s && n <= NN_MAX_LAYERS) {
    if (!parse_size(r, &s, NN_MAX_WIDTH, &sizes[n]))
      return false;
    if (sizes[n] == 0)
      return bad(r, "a layer width is 0");
    n++;
    while (*s == ' ')
      s++;
  }
  if (n < 2 || *s)
    return bad(r, "expected 2 to %d layer widths", NN_MAX_LAYERS + 1);
  NnAct acts[NN_MAX_LAYERS];
  double alpha, dropout;
  if (!read_acts(r, acts, n - 1) ||
      !keyed_size(r, "cond", NN_MAX_WIDTH, &cond) ||
      !keyed_size(r, "heads", NN_MAX_HEADS, &heads) ||
      !keyed_double(r, "alpha", &alpha) ||
      !keyed_double(r, "dropout", &dropout) ||
      !keyed_size(r, "layer_norm", 1, &ln))
    return false;
  if (heads < 1)
    return bad(r, "a network has 1 or 2 heads");
  if (!(dropout >= 0.0 && dropout < 1.0))
    return bad(r, "dropout must be in [0, 1)");
  if (nn_net_count(sizes, n - 1, cond, heads, ln == 1) > MAX_WEIGHTS)
    return bad(r, "these layers have more than %zu weights", MAX_WEIGHTS);
  NnNet *net = nn_net_new(kind, sizes, n - 1, acts, cond, heads);
  net->alpha = alpha;
  net->dropout = dropout;
  net->layer_norm = ln == 1;
  nn_net_relayout(net);
  if (!keyed_size(r, "weights", MAX_WEIGHTS, &nw))
    return false;
  if (nw != net->nparams)
    return bad(r, "these layers have %zu weights, not %zu", net->nparams, nw);
  out->net = net;
  return read_weights(r, net->theta, nw);
}

static NnRbm *read_rbm_body(Reader *r) {
  size_t nv, nh;
  if (!keyed_size(r, "visible", NN_MAX_WIDTH, &nv) ||
      !keyed_size(r, "hidden", NN_MAX_WIDTH, &nh))
    return NULL;
  if (nv == 0 || nh == 0 || nv * nh > MAX_WEIGHTS) {
    bad(r, "an RBM of %zu x %zu units is not possible", nv, nh);
    return NULL;
  }
  NnRbm *m = nn_rbm_new(nv, nh);
  if (!read_weights(r, m->W, nv * nh) || !read_weights(r, m->b, nv) ||
      !read_weights(r, m->c, nh))
    return NULL;
  return m;
}

static bool read_dbn(Reader *r, NnLoaded *out) {
  size_t n;
  if (!keyed_size(r, "layers", NN_MAX_LAYERS, &n))
    return false;
  if (n == 0)
    return bad(r, "a DBN has at least one RBM");
  out->rbms = mem_alloc(n * sizeof *out->rbms);
  out->nrbms = n;
  for (size_t l = 0; l < n; l++) {
    if (!(out->rbms[l] = read_rbm_body(r)))
      return false;
    if (l > 0 && out->rbms[l]->nv != out->rbms[l - 1]->nh)
      return bad(r, "RBM %zu has %zu visible units but the one below has %zu "
                    "hidden",
                 l, out->rbms[l]->nv, out->rbms[l - 1]->nh);
  }
  return true;
}

bool nn_load(FILE *f, NnLoaded *out, char *err) {
  Reader r = {.f = f, .err = err};
  memset(out, 0, sizeof *out);
  if (!next_line(&r))
    return false;
  int version = 0;
  char magic[32] = "";
  if (sscanf(r.buf, "%31s %d", magic, &version) != 2 ||
      strncmp(magic, "ppl-", 4) != 0)
    return bad(&r, "not a file written by save_net()");
  if (version != NETIO_VERSION)
    return bad(&r, "format version %d, but this ppl reads version %d",
               version, NETIO_VERSION);
  if (strcmp(magic, "ppl-network") == 0) {
    out->kind = NN_FILE_NET;
    return read_net(&r, out);
  }
  if (strcmp(magic, "ppl-rbm") == 0) {
    out->kind = NN_FILE_RBM;
    return (out->rbm = read_rbm_body(&r)) != NULL;
  }
  if (strcmp(magic, "ppl-dbn") == 0) {
    out->kind = NN_FILE_DBN;
    return read_dbn(&r, out);
  }
  return bad(&r, "unknown kind of file '%s'", magic);
}
