/*
 * tracecsv.h — traces as CmdStan CSV files: save_csv() writes them in the
 * layout of CmdStan's output, which ArviZ (az.from_cmdstan) and R
 * (cmdstanr::read_cmdstan_csv, then posterior) read; load_csv() reads
 * CmdStan's own files and ours back into a Trace.
 *
 * A file is:
 *   - comment lines starting with '#': CmdStan's `key = value` settings
 *     (model, method = sample, num_samples, num_warmup, save_warmup, thin,
 *     algorithm / engine / max_depth, num_chains, id, and seed under
 *     `random` when the trace knows its seed) and ppl's own keys
 *     (ppl_method, ppl_deterministic, ppl_discrete), which other readers
 *     ignore;
 *   - a header: lp__, accept_stat__, stepsize__, treedepth__,
 *     n_leapfrog__, divergent__, energy__ (CmdStan's order), then one
 *     column per scalar element, named as CmdStan names them: mu;
 *     theta.1, theta.2 for a vector (1-based); L.1.1, L.2.1, L.1.2 for a
 *     matrix, column-major (the first index varies fastest);
 *   - one row per kept draw; numbers written with the fewest of 15, 16 or
 *     17 significant digits that read back as the same double (nan, inf,
 *     -inf as CmdStan writes them).
 *
 * Layouts: per chain (the default, as CmdStan's output_1.csv ...), or one
 * file holding every chain with an extra `chain__` column (1-based) after
 * the sampler statistics, which pandas or R's read.csv(comment.char = "#")
 * read directly; ArviZ and cmdstanr want one file per chain.
 *
 * Reading takes any CmdStan sampling output: comment lines anywhere
 * (CmdStan puts its adaptation results after the header and timings at the
 * end) are skipped; with save_warmup = 1 the first ceil(num_warmup / thin)
 * rows of each chain are warm-up and are dropped; sampler statistics that
 * are missing read as NaN (divergent__, treedepth__, n_leapfrog__ as 0).
 * Variables are rebuilt from the element names: shapes from the largest
 * indices, and every element must be present.
 *
 * No VM here: errors are sentences written into err (TRACECSV_ERR_LEN
 * bytes) naming the file, and the line where one is known.
 */
#ifndef PPL_TRACECSV_H
#define PPL_TRACECSV_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"
#include "trace.h"

enum { TRACECSV_ERR_LEN = 1024 };

typedef enum {
  TRACECSV_PER_CHAIN, /* one file per chain: out_1.csv, out_2.csv ... */
  TRACECSV_ONE_FILE,  /* every chain in one file, with a chain__ column */
} TraceCsvLayout;

/* The file chain c (0-based) of an nchains-chain trace goes to in the
 * per-chain layout, appended to sb: path itself when there is one chain,
 * otherwise "_<c+1>" before the extension ("out.csv" -> "out_2.csv",
 * "out" -> "out_2"), as CmdStan numbers its output files. */
void tracecsv_chain_path(const char *path, int nchains, int c, StrBuf *sb);

/* Writes the trace's trace_ndraws(t) draws per chain to path (the
 * per-chain layout writes the files tracecsv_chain_path names).
 * model_name (may be NULL) goes into the `model =` comment. Returns false
 * with a sentence in err when a file cannot be written. */
bool tracecsv_write(const Trace *t, const char *path, TraceCsvLayout layout,
                    const char *model_name, char *err);

/* Reads npaths files (each one chain, or several with a chain__ column)
 * into a new trace (GC memory; method "CSV", tune = num_warmup,
 * max_treedepth = max_depth when the comments give them, and the seed
 * when every file gives the same `seed`). Returns NULL
 * with a sentence in err on a missing or unreadable file, a file that is
 * not CmdStan sampling output (no lp__ column), element names that do not
 * make a whole variable, files whose columns differ, chains of different
 * lengths, and what csvfile_read rejects (ragged rows, non-numbers). */
Trace *tracecsv_read(const char *const *paths, size_t npaths, char *err);

#endif
