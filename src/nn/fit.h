/*
 * fit.h — supervised training of one network: targets y for inputs x,
 * minimising the squared error (regression; summed over outputs, averaged
 * over the minibatch) or the binary cross-entropy of the network's logits
 * (classification into 0/1 targets, one or more outputs: the network's
 * output activation is then ignored in training), with Adam.
 */
#ifndef PPL_NN_FIT_H
#define PPL_NN_FIT_H

#include "nn/vae.h"

/* Trains net in place on n rows: x (n x inputs), y (n x outputs), cond
 * (n x net->cond one-hot rows, or NULL). History column: loss. */
bool nn_fit_train(NnNet *net, const double *x, const double *y,
                  const double *cond, size_t n, NnRecon loss,
                  const NnTrainOptions *o, NnHistory *h, char *err);

#endif
