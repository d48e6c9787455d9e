/*
 * netio.h — saving and loading networks, RBMs and DBNs as text.
 *
 * A file is a header line ("ppl-network 1", "ppl-rbm 1" or "ppl-dbn 1"),
 * then "key value..." lines describing the architecture, then the
 * weights one per line in %.17g, which reads back to the same double bit
 * for bit (IEEE 754 doubles need 17 significant digits). Plain text so
 * that another program can read it; the format is documented in
 * doc/neural.md.
 */
#ifndef PPL_NN_NETIO_H
#define PPL_NN_NETIO_H

#include <stdbool.h>
#include <stdio.h>

#include "nn/net.h"
#include "nn/rbm.h"

/* False when writing failed (errno tells why). */
bool nn_save_net(const NnNet *net, FILE *f);
bool nn_save_rbm(const NnRbm *r, FILE *f);
bool nn_save_dbn(NnRbm *const *rbms, size_t n, FILE *f);

typedef enum { NN_FILE_NET, NN_FILE_RBM, NN_FILE_DBN } NnFileKind;

typedef struct NnLoaded {
  NnFileKind kind;
  NnNet *net;    /* NN_FILE_NET */
  NnRbm *rbm;    /* NN_FILE_RBM */
  NnRbm **rbms;  /* NN_FILE_DBN (GC memory) */
  size_t nrbms;
} NnLoaded;

/* Reads one file; false with a sentence in err (NN_ERR_LEN) naming the
 * line when it is not one of ours or is damaged. Results are GC memory. */
bool nn_load(FILE *f, NnLoaded *out, char *err);

#endif
