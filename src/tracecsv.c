/*
 * tracecsv.c — CmdStan CSV files of traces (see tracecsv.h for the layout).
 *
 * Writing is plain stdio: comments, header, rows. Reading goes through
 * csvfile (libcsv) with comment lines handed back to on_comment, which
 * picks out the settings it knows; then the columns are classified
 * (statistic, chain__, element of a variable) and the variables rebuilt
 * from the element names of the first file. Later files must name the same
 * elements. Every chain is placed before the trace is made, since a Trace
 * has its number of chains from birth.
 *
 * References: CmdStan User's Guide, "MCMC Sampling" and "Stan CSV File
 * Format" (column naming: "container elements in column-major order").
 */
#include <config.h>
#include "tracecsv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "csvfile.h"
#include "mem.h"

/* Variables of more dimensions than this have no Trace shape. */
enum { MAX_INDICES = 2 };

static void errf(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void errf(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, TRACECSV_ERR_LEN, fmt, ap);
  va_end(ap);
}

/* ---- file names --------------------------------------------------------- */

void tracecsv_chain_path(const char *path, int nchains, int c, StrBuf *sb) {
  if (nchains <= 1) {
    strbuf_puts(sb, path);
    return;
  }
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base) /* no extension (".csv" alone is a name) */
    dot = path + strlen(path);
  strbuf_append(sb, path, (size_t)(dot - path));
  strbuf_printf(sb, "_%d%s", c + 1, dot);
}

/* ---- writing ------------------------------------------------------------ */

/* The shortest of %.15g, %.16g, %.17g that reads back as x; nan and inf
 * spelled as CmdStan writes them. */
static void put_number(FILE *fp, double x) {
  if (isnan(x)) {
    fputs("nan", fp);
    return;
  }
  if (isinf(x)) {
    fputs(x > 0 ? "inf" : "-inf", fp);
    return;
  }
  char buf[40];
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (strtod(buf, NULL) == x)
      break;
  }
  fputs(buf, fp);
}

/* The variables flagged by `which` (0 deterministic, 1 discrete), comma
 * separated, or "" when none is. */
static void flagged_vars(const Trace *t, int which, StrBuf *sb) {
  for (int v = 0; v < t->nvars; v++) {
    bool on = which == 0 ? t->vars[v].deterministic : t->vars[v].discrete;
    if (on)
      strbuf_printf(sb, "%s%s", sb->len ? "," : "", t->vars[v].name);
  }
}

/* CmdStan's `algorithm` lines for the trace's method. */
static void write_algorithm(FILE *fp, const Trace *t) {
  if (strstr(t->method, "NUTS") || t->max_treedepth > 0) {
    fputs("#     algorithm = hmc\n#       hmc\n#         engine = nuts\n"
          "#           nuts\n", fp);
    fprintf(fp, "#             max_depth = %d\n",
            t->max_treedepth > 0 ? t->max_treedepth : 10);
  } else if (strstr(t->method, "HMC")) {
    fputs("#     algorithm = hmc\n#       hmc\n#         engine = static\n",
          fp);
  } else {
    fputs("#     algorithm = ", fp);
    for (const char *p = t->method; *p; p++)
      fputc(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p, fp);
    fputc('\n', fp);
  }
}

static void write_comments(FILE *fp, const Trace *t, const char *model,
                           const char *path, int id, int nchains) {
  const char *slash = strrchr(path, '/');
  fputs("# written by ppl's save_csv() in CmdStan's layout\n", fp);
  fprintf(fp, "# model = %s\n", model && *model ? model : "ppl_model");
  fputs("# method = sample (Default)\n#   sample\n", fp);
  fprintf(fp, "#     num_samples = %zu\n", trace_ndraws(t));
  fprintf(fp, "#     num_warmup = %zu\n", t->tune);
  fputs("#     save_warmup = 0\n#     thin = 1\n#     adapt\n", fp);
  fprintf(fp, "#       engaged = %d\n", t->tune > 0);
  write_algorithm(fp, t);
  fprintf(fp, "#     num_chains = %d\n", nchains);
  fprintf(fp, "# id = %d\n", id);
  if (t->has_seed) /* CmdStan's `random` group: every chain's file */
    fprintf(fp, "# random\n#   seed = %lld\n", (long long)t->seed);
  fprintf(fp, "# output\n#   file = %s\n", slash ? slash + 1 : path);
  fprintf(fp, "# ppl_method = %s\n", t->method);
  for (int which = 0; which < 2; which++) {
    StrBuf sb;
    strbuf_init(&sb);
    flagged_vars(t, which, &sb);
    if (sb.len)
      fprintf(fp, "# %s = %s\n",
              which == 0 ? "ppl_deterministic" : "ppl_discrete", sb.data);
  }
}

/* Element k (CmdStan's column-major order) of tv as an index into its
 * row-major storage. */
static size_t cmdstan_elem(const TraceVar *tv, size_t k) {
  if (tv->ndim < 2)
    return k;
  return (k % tv->rows) * tv->cols + k / tv->rows;
}

static void write_header(FILE *fp, const Trace *t, bool chain_col) {
  for (int s = 0; s < TRACE_NSTATS; s++)
    fprintf(fp, "%s%s", s ? "," : "", trace_stat_csv_name((TraceStat)s));
  if (chain_col)
    fputs(",chain__", fp);
  for (int v = 0; v < t->nvars; v++) {
    const TraceVar *tv = &t->vars[v];
    for (size_t k = 0; k < tv->len; k++) {
      size_t e = cmdstan_elem(tv, k);
      if (tv->ndim == 0)
        fprintf(fp, ",%s", tv->name);
      else if (tv->ndim == 1)
        fprintf(fp, ",%s.%zu", tv->name, e + 1);
      else
        fprintf(fp, ",%s.%zu.%zu", tv->name, e / tv->cols + 1,
                e % tv->cols + 1);
    }
  }
  fputc('\n', fp);
}

/* The first n draws of chain c; chain_id > 0 adds the chain__ column. */
static void write_rows(FILE *fp, const Trace *t, int c, size_t n,
                       int chain_id) {
  const TraceChain *ch = &t->chains[c];
  for (size_t i = 0; i < n; i++) {
    const double *st = ch->stats + i * TRACE_NSTATS;
    for (int s = 0; s < TRACE_NSTATS; s++) {
      if (s)
        fputc(',', fp);
      put_number(fp, st[s]);
    }
    if (chain_id > 0)
      fprintf(fp, ",%d", chain_id);
    const double *row = ch->values + i * t->width;
    for (int v = 0; v < t->nvars; v++) {
      const TraceVar *tv = &t->vars[v];
      for (size_t k = 0; k < tv->len; k++) {
        fputc(',', fp);
        put_number(fp, row[tv->offset + cmdstan_elem(tv, k)]);
      }
    }
    fputc('\n', fp);
  }
}

/* One file holding chains first..last-1; id is CmdStan's chain id. */
static bool write_file(const Trace *t, const char *path, const char *model,
                       int first, int last, int id, char *err) {
  FILE *fp = fopen(path, "w");
  if (!fp) {
    errf(err, "cannot write '%s': %s", path, strerror(errno));
    return false;
  }
  const bool chain_col = last - first > 1;
  write_comments(fp, t, model, path, id, t->nchains);
  write_header(fp, t, chain_col);
  size_t n = trace_ndraws(t);
  for (int c = first; c < last; c++)
    write_rows(fp, t, c, n, chain_col ? c + 1 : 0);
  bool ok = !ferror(fp);
  int saved = errno;
  if (fclose(fp) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok)
    errf(err, "cannot write '%s': %s", path, strerror(saved));
  return ok;
}

bool tracecsv_write(const Trace *t, const char *path, TraceCsvLayout layout,
                    const char *model_name, char *err) {
  if (layout == TRACECSV_ONE_FILE || t->nchains <= 1)
    return write_file(t, path, model_name, 0, t->nchains, 1, err);
  for (int c = 0; c < t->nchains; c++) {
    StrBuf sb;
    strbuf_init(&sb);
    tracecsv_chain_path(path, t->nchains, c, &sb);
    if (!write_file(t, sb.data, model_name, c, c + 1, c + 1, err))
      return false;
  }
  return true;
}

/* ---- reading: comments -------------------------------------------------- */

/* The settings of a file's comments that reading uses (NAN: absent). */
typedef struct Meta {
  double num_warmup, thin, max_depth;
  bool save_warmup;
  bool has_seed; /* a `seed = N` line with a whole number */
  int64_t seed;
  char *deterministic, *discrete; /* GC strings, or NULL */
} Meta;

/* s[0..n) without surrounding blanks, as a GC string. */
static char *trimmed(const char *s, size_t n) {
  while (n > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    n--;
  }
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  char *out = mem_alloc_atomic(n + 1);
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

static double number_or_nan(const char *s) {
  double x;
  return csvfile_parse_number(s, strlen(s), &x) ? x : NAN;
}

/* The seed of a `seed = N` line: a whole number that fits an int64
 * (CmdStan writes unsigned 32-bit seeds, ppl what sample() was given). */
static bool parse_seed(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || errno)
    return false;
  *out = (int64_t)v;
  return true;
}

/* A `# key = value (Default)` line: the keys reading needs. */
static void on_comment(const char *text, size_t line, void *ctx) {
  (void)line;
  Meta *m = ctx;
  const char *p = text + strspn(text, "# \t");
  const char *eq = strchr(p, '=');
  if (!eq)
    return;
  char *key = trimmed(p, (size_t)(eq - p));
  char *value = trimmed(eq + 1, strlen(eq + 1));
  char *dflt = strstr(value, "(Default)");
  if (dflt)
    value = trimmed(value, (size_t)(dflt - value));
  if (strcmp(key, "num_warmup") == 0)
    m->num_warmup = number_or_nan(value);
  else if (strcmp(key, "thin") == 0)
    m->thin = number_or_nan(value);
  else if (strcmp(key, "max_depth") == 0)
    m->max_depth = number_or_nan(value);
  else if (strcmp(key, "save_warmup") == 0)
    m->save_warmup = strcmp(value, "1") == 0 || strcmp(value, "true") == 0;
  else if (strcmp(key, "seed") == 0)
    m->has_seed = parse_seed(value, &m->seed);
  else if (strcmp(key, "ppl_deterministic") == 0)
    m->deterministic = value;
  else if (strcmp(key, "ppl_discrete") == 0)
    m->discrete = value;
}

/* ---- reading: columns --------------------------------------------------- */

typedef enum { COL_IGNORE, COL_STAT, COL_CHAIN, COL_ELEM } ColKind;

/* What column j of a file holds. */
typedef struct Col {
  ColKind kind;
  int index;   /* the statistic, or the variable */
  size_t elem; /* row-major element of the variable */
  size_t idx[MAX_INDICES]; /* 1-based indices while the shape is unknown */
} Col;

/* A variable as the first file's element names describe it. */
typedef struct Spec {
  char *name;
  int nidx;
  size_t dims[MAX_INDICES];
  size_t count; /* columns seen */
} Spec;

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Splits "theta.2.3" into its base name and indices. A name whose parts
 * after the first dot are not all whole numbers ("z.real") is a scalar
 * called by the whole name. -1 (err set) for more indices than a Trace
 * holds or an index 0; else the number of indices. */
static int split_name(const char *path, const char *name, char **base,
                      size_t idx[MAX_INDICES], char *err) {
  const char *dot = strchr(name, '.');
  size_t got[8];
  int nidx = 0;
  for (const char *p = dot; p && *p == '.'; nidx++) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + 1, &end, 10);
    if (end == p + 1 || p[1] == '-' || p[1] == '+' || errno ||
        (*end != '.' && *end != '\0') || nidx == 8) {
      *base = mem_strdup(name);
      return 0;
    }
    got[nidx] = (size_t)v;
    p = end;
  }
  if (nidx > MAX_INDICES) {
    errf(err, "%s: column '%s' is an element of a %d-dimensional array; "
              "ppl traces hold scalars, vectors and matrices",
         path, name, nidx);
    return -1;
  }
  for (int k = 0; k < nidx; k++) {
    if (got[k] == 0) {
      errf(err, "%s: column '%s': CmdStan's indices start at 1", path,
           name);
      return -1;
    }
    idx[k] = got[k];
  }
  *base = dot ? trimmed(name, (size_t)(dot - name)) : mem_strdup(name);
  return nidx;
}

static int find_spec(Spec *specs, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(specs[i].name, name) == 0)
      return i;
  return -1;
}

/* Adds the element column `name` of the first file to the specs. */
static bool note_element(const char *path, const char *name, Col *col,
                         Spec **specs, int *nspecs, int *cap, char *err) {
  char *base;
  int nidx = split_name(path, name, &base, col->idx, err);
  if (nidx < 0)
    return false;
  int s = find_spec(*specs, *nspecs, base);
  if (s < 0) {
    if (*nspecs == *cap) {
      *cap = *cap ? 2 * *cap : 16;
      *specs = mem_realloc(*specs, (size_t)*cap * sizeof **specs);
    }
    s = (*nspecs)++;
    (*specs)[s] = (Spec){.name = base, .nidx = nidx};
  } else if ((*specs)[s].nidx != nidx) {
    errf(err, "%s: column '%s' has %d ind%s but other columns of '%s' "
              "have %d",
         path, name, nidx, nidx == 1 ? "ex" : "ices", base,
         (*specs)[s].nidx);
    return false;
  }
  Spec *sp = &(*specs)[s];
  for (int k = 0; k < nidx; k++)
    if (col->idx[k] > sp->dims[k])
      sp->dims[k] = col->idx[k];
  sp->count++;
  col->kind = COL_ELEM;
  col->index = s;
  return true;
}

static size_t spec_len(const Spec *sp) {
  size_t len = 1;
  for (int k = 0; k < sp->nidx; k++)
    len *= sp->dims[k];
  return len;
}

/* Row-major element of 1-based indices idx in a variable of shape dims. */
static size_t elem_of(int nidx, const size_t *idx, const size_t *dims) {
  if (nidx == 0)
    return 0;
  if (nidx == 1)
    return idx[0] - 1;
  return (idx[0] - 1) * dims[1] + (idx[1] - 1);
}

/* Classifies a header's statistic and chain__ columns; false for an
 * element column. */
static bool special_column(const char *name, Col *col) {
  if (!ends_with(name, "__"))
    return false;
  int s = trace_stat_lookup(name);
  if (s >= 0 && strcmp(name, trace_stat_csv_name((TraceStat)s)) == 0) {
    col->kind = COL_STAT;
    col->index = s;
  } else if (strcmp(name, "chain__") == 0) {
    col->kind = COL_CHAIN;
  } else {
    col->kind = COL_IGNORE; /* another program's statistic */
  }
  return true;
}

static bool has_lp(const char *path, const CsvTable *tab, char *err) {
  for (size_t j = 0; j < tab->ncols; j++)
    if (strcmp(tab->names[j], "lp__") == 0)
      return true;
  StrBuf sb;
  strbuf_init(&sb);
  for (size_t j = 0; j < tab->ncols && sb.len < 200; j++)
    strbuf_printf(&sb, "%s%s", j ? ", " : "", tab->names[j]);
  errf(err, "%s: not a CmdStan CSV file: the header has no 'lp__' column "
            "(it has: %s)",
       path, sb.data);
  return false;
}

/* The first file's columns and the variables they make. */
static bool layout_first(const char *path, const CsvTable *tab, Col *cols,
                         Spec **specs, int *nspecs, char *err) {
  int cap = 0;
  *specs = NULL;
  *nspecs = 0;
  for (size_t j = 0; j < tab->ncols; j++)
    if (!special_column(tab->names[j], &cols[j]) &&
        !note_element(path, tab->names[j], &cols[j], specs, nspecs, &cap,
                      err))
      return false;
  for (int s = 0; s < *nspecs; s++) {
    const Spec *sp = &(*specs)[s];
    if (sp->count != spec_len(sp)) {
      errf(err, "%s: variable '%s' has %zu element column%s, but its "
                "largest indices make %zu elements: some are missing",
           path, sp->name, sp->count, sp->count == 1 ? "" : "s",
           spec_len(sp));
      return false;
    }
  }
  for (size_t j = 0; j < tab->ncols; j++)
    if (cols[j].kind == COL_ELEM) {
      const Spec *sp = &(*specs)[cols[j].index];
      cols[j].elem = elem_of(sp->nidx, cols[j].idx, sp->dims);
    }
  return true;
}

/* A later file's columns, which must name the elements of t. */
static bool layout_more(const char *path, const char *first,
                        const CsvTable *tab, const Trace *t, Col *cols,
                        char *err) {
  size_t nelem = 0;
  for (size_t j = 0; j < tab->ncols; j++) {
    const char *name = tab->names[j];
    if (special_column(name, &cols[j]))
      continue;
    char *base;
    int nidx = split_name(path, name, &base, cols[j].idx, err);
    if (nidx < 0)
      return false;
    int v = trace_find(t, base);
    const TraceVar *tv = v >= 0 ? &t->vars[v] : NULL;
    size_t dims[MAX_INDICES] = {tv ? tv->rows : 0, tv ? tv->cols : 0};
    bool fits = tv && tv->ndim == nidx &&
                (nidx < 1 || cols[j].idx[0] <= dims[0]) &&
                (nidx < 2 || cols[j].idx[1] <= dims[1]);
    if (!fits) {
      errf(err, "%s: column '%s' is not among the columns of '%s' (the "
                "files of one run name the same variables)",
           path, name, first);
      return false;
    }
    cols[j].kind = COL_ELEM;
    cols[j].index = v;
    cols[j].elem = elem_of(nidx, cols[j].idx, dims);
    nelem++;
  }
  if (nelem != t->width) {
    errf(err, "%s: has %zu element columns but '%s' has %zu (the files of "
              "one run name the same variables)",
         path, nelem, first, t->width);
    return false;
  }
  return true;
}

/* ---- reading: chains ---------------------------------------------------- */

/* The rows of one chain in one file. */
typedef struct ChainRows {
  size_t file;
  size_t *rows; /* GC atomic */
  size_t n;
} ChainRows;

typedef struct File {
  const char *path;
  CsvTable *tab;
  Col *cols;
  Meta meta;
} File;

static bool read_file(File *f, char *err) {
  f->meta = (Meta){.num_warmup = NAN, .thin = NAN, .max_depth = NAN};
  char cerr[CSVFILE_ERR_LEN];
  f->tab = csvfile_read_commented(f->path, on_comment, &f->meta, cerr);
  if (!f->tab) {
    errf(err, "%s", cerr);
    return false;
  }
  if (!has_lp(f->path, f->tab, err))
    return false;
  f->cols = mem_alloc((f->tab->ncols + 1) * sizeof *f->cols);
  return true;
}

/* Warm-up rows saved at the start of each chain of the file. */
static size_t warmup_rows(const Meta *m) {
  if (!m->save_warmup || !(m->num_warmup > 0))
    return 0;
  double thin = m->thin >= 1 ? m->thin : 1;
  return (size_t)ceil(m->num_warmup / thin);
}

static int chain_column(const File *f) {
  for (size_t j = 0; j < f->tab->ncols; j++)
    if (f->cols[j].kind == COL_CHAIN)
      return (int)j;
  return -1;
}

/* Splits file k's rows into chains (by chain__, in order of first
 * appearance), dropping saved warm-up; appends them to *chains. */
static bool file_chains(const File *f, size_t k, ChainRows **chains,
                        size_t *nchains, char *err) {
  const size_t nrows = f->tab->nrows;
  int cc = chain_column(f);
  size_t *group = mem_alloc_atomic((nrows + 1) * sizeof *group);
  double *ids = mem_alloc_atomic((nrows + 1) * sizeof *ids);
  size_t nids = 0;
  for (size_t i = 0; i < nrows; i++) {
    double id = cc >= 0 ? f->tab->cols[cc][i] : 1.0;
    if (!(isfinite(id) && id == floor(id))) {
      errf(err, "%s: column 'chain__' must hold chain numbers, but row %zu "
                "holds %g",
           f->path, i + 1, id);
      return false;
    }
    size_t g = 0;
    while (g < nids && ids[g] != id)
      g++;
    if (g == nids)
      ids[nids++] = id;
    group[i] = g;
  }
  const size_t skip = warmup_rows(&f->meta);
  for (size_t g = 0; g < nids; g++) {
    ChainRows cr = {.file = k, .rows = mem_alloc_atomic((nrows + 1) *
                                                        sizeof(size_t))};
    size_t seen = 0;
    for (size_t i = 0; i < nrows; i++)
      if (group[i] == g && seen++ >= skip)
        cr.rows[cr.n++] = i;
    if (seen < skip) {
      errf(err, "%s: save_warmup = 1 and num_warmup say the first %zu rows "
                "of a chain are warm-up, but chain %g has only %zu rows",
           f->path, skip, ids[g], seen);
      return false;
    }
    *chains = mem_realloc(*chains, (*nchains + 1) * sizeof **chains);
    (*chains)[(*nchains)++] = cr;
  }
  return true;
}

static bool same_lengths(const File *files, const ChainRows *chains,
                         size_t n, char *err) {
  for (size_t c = 1; c < n; c++)
    if (chains[c].n != chains[0].n) {
      errf(err, "%s: chain %zu has %zu draw%s but chain 1 (in %s) has %zu; "
                "the chains of a trace have equal lengths",
           files[chains[c].file].path, c + 1, chains[c].n,
           chains[c].n == 1 ? "" : "s", files[chains[0].file].path,
           chains[0].n);
      return false;
    }
  return true;
}

/* Whether name is in the comma-separated list (NULL: empty). */
static bool listed(const char *list, const char *name) {
  size_t len = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && strncmp(p, name, n) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

/* Statistics a file does not have: 0 for the counts, NaN otherwise. */
static double missing_stat(int s) {
  return s == TRACE_DIVERGENT || s == TRACE_TREE_DEPTH ||
                 s == TRACE_N_LEAPFROG
             ? 0.0
             : NAN;
}

/* Copies the chains' rows into t (whose variables are set). */
static void fill(Trace *t, const File *files, const ChainRows *chains) {
  double *values = malloc((t->width ? t->width : 1) * sizeof *values);
  if (!values)
    PANIC("out of memory reading a trace");
  double stats[TRACE_NSTATS];
  for (int c = 0; c < t->nchains; c++) {
    const ChainRows *cr = &chains[c];
    const File *f = &files[cr->file];
    trace_reserve(t, c, cr->n);
    for (size_t r = 0; r < cr->n; r++) {
      size_t i = cr->rows[r];
      for (int s = 0; s < TRACE_NSTATS; s++)
        stats[s] = missing_stat(s);
      for (size_t j = 0; j < f->tab->ncols; j++) {
        const Col *col = &f->cols[j];
        double x = f->tab->cols[j][i];
        if (col->kind == COL_STAT)
          stats[col->index] = x;
        else if (col->kind == COL_ELEM)
          values[t->vars[col->index].offset + col->elem] = x;
      }
      trace_append(t, c, values, stats);
    }
  }
  free(values);
}

static Trace *make_trace(const File *files, const Spec *specs, int nspecs,
                         size_t nchains) {
  Trace *t = trace_new((int)nchains);
  const Meta *m = &files[0].meta;
  for (int s = 0; s < nspecs; s++) {
    const Spec *sp = &specs[s];
    trace_add_var(t, sp->name, sp->nidx, sp->nidx ? sp->dims[0] : 1,
                  sp->nidx == 2 ? sp->dims[1] : 1,
                  listed(m->deterministic, sp->name),
                  listed(m->discrete, sp->name));
  }
  snprintf(t->method, sizeof t->method, "CSV");
  t->tune = m->num_warmup >= 0 ? (size_t)m->num_warmup : 0;
  t->max_treedepth = m->max_depth > 0 ? (int)m->max_depth : 0;
  return t;
}

/* The run's seed when every file gives the same one (chains of one run);
 * files of different runs, or without a seed, leave it unknown. */
static void set_seed(Trace *t, const File *files, size_t npaths) {
  t->has_seed = files[0].meta.has_seed;
  t->seed = files[0].meta.seed;
  for (size_t k = 1; k < npaths && t->has_seed; k++)
    t->has_seed = files[k].meta.has_seed && files[k].meta.seed == t->seed;
}

Trace *tracecsv_read(const char *const *paths, size_t npaths, char *err) {
  if (npaths == 0) {
    errf(err, "no files to read");
    return NULL;
  }
  File *files = mem_alloc(npaths * sizeof *files);
  Spec *specs = NULL;
  int nspecs = 0;
  ChainRows *chains = NULL;
  size_t nchains = 0;
  for (size_t k = 0; k < npaths; k++) {
    files[k].path = paths[k];
    if (!read_file(&files[k], err))
      return NULL;
    bool ok = k == 0 ? layout_first(paths[0], files[0].tab, files[0].cols,
                                    &specs, &nspecs, err)
                     : true;
    if (!ok)
      return NULL;
  }
  /* later files are checked against the variables of the first */
  Trace *probe = make_trace(files, specs, nspecs, 1);
  for (size_t k = 1; k < npaths; k++)
    if (!layout_more(paths[k], paths[0], files[k].tab, probe, files[k].cols,
                     err))
      return NULL;
  for (size_t k = 0; k < npaths; k++)
    if (!file_chains(&files[k], k, &chains, &nchains, err))
      return NULL;
  if (nchains > (size_t)INT_MAX) {
    errf(err, "%s: too many chains (%zu)", paths[0], nchains);
    return NULL;
  }
  if (!same_lengths(files, chains, nchains, err))
    return NULL;
  Trace *t = make_trace(files, specs, nspecs, nchains);
  fill(t, files, chains);
  set_seed(t, files, npaths);
  return t;
}
