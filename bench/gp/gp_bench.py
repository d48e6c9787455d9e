#!/usr/bin/python3
"""gp_bench.py — scikit-learn's side of the GP benchmark.

    gp_bench.py DIR N D     fits GaussianProcessRegressor to
                            DIR/train_N_D.csv and predicts mean and sd at
                            DIR/test_N_D.csv; prints one line:
                            "N D seconds lml evaluations"

Kernel ConstantKernel(1) * RBF(1) + WhiteKernel(1), alpha 1e-10,
n_restarts_optimizer 0 (scikit-learn's defaults otherwise): the same model
and starting point as bench/gp/gp_bench.ppl. The time covers fit and
predict, not reading the files.
"""
import sys
import time
import warnings

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel


def main():
    out, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    train = np.loadtxt(f"{out}/train_{n}_{d}.csv", delimiter=",", skiprows=1)
    xnew = np.loadtxt(f"{out}/test_{n}_{d}.csv", delimiter=",", skiprows=1,
                      ndmin=2)
    x, y = train[:, :d], train[:, d]
    count = [0]
    lml = GaussianProcessRegressor.log_marginal_likelihood

    def counted(self, *args, **kw):
        count[0] += 1
        return lml(self, *args, **kw)

    GaussianProcessRegressor.log_marginal_likelihood = counted
    warnings.simplefilter("ignore")
    kernel = ConstantKernel(1.0) * RBF(1.0) + WhiteKernel(1.0)
    t0 = time.perf_counter()
    gp = GaussianProcessRegressor(kernel=kernel, n_restarts_optimizer=0)
    gp.fit(x, y)
    mean, sd = gp.predict(xnew, return_std=True)
    seconds = time.perf_counter() - t0
    print(n, d, f"{seconds:.4f}", f"{gp.log_marginal_likelihood_value_:.9f}",
          count[0] - 1)  # the last call only reports the final value


if __name__ == "__main__":
    main()
