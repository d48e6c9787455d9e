#!/usr/bin/python3
"""gp_reference.py — scikit-learn's GP regression on fixed data, stored as
test data for ppl's GP (tests/gp/*.ppl), so the test suite needs no Python.

    /usr/bin/python3 tests/tools/gp_reference.py      # Debian's python3
                                                      # apt-get install python3-sklearn

Writes two files into tests/data/gp/ (JSON; floats in repr form, which
read back exactly):

  fixed.json      cases with fixed hyperparameters (optimizer=None): the
                  data, the new points, and scikit-learn's predictive mean,
                  sd and log marginal likelihood, and the kernel matrix
                  K(x[:8], xnew[:5]); each case names the equivalent ppl
                  kernel in "ppl".
  optimized.json  cases fitted by scikit-learn's optimiser
                  (n_restarts_optimizer=3, random_state=0): the best log
                  marginal likelihood it found, and the kernel it found.

Kernel correspondences (ppl follows PyMC's definitions):
  ExpQuad(ls)              RBF(ls)
  Matern12/32/52(ls)       Matern(ls, nu=0.5/1.5/2.5)
  RationalQuadratic(a, ls) RationalQuadratic(ls, alpha=a)
  Periodic(period, ls)     ExpSineSquared(2 * ls, period)   (1-D)
  Constant(c)              ConstantKernel(c)
  White(sigma)             WhiteKernel(sigma^2)
  Constant(s^2) + Linear(c=0)        DotProduct(s)
  Polynomial(c=0, d, offset=s^2)     DotProduct(s) ** d
  noise=s / alpha=a        alpha=s^2 / alpha=a
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (RBF, ConstantKernel as C,
                                              DotProduct, ExpSineSquared,
                                              Matern, RationalQuadratic,
                                              WhiteKernel)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "gp")
MCYCLE = os.path.join(HERE, "..", "..", "..", "shared", "reference", "data",
                      "mcycle.csv")


def data_1d():
    r = np.random.RandomState(11)
    x = np.sort(r.uniform(0, 10, 40))
    y = np.sin(x) + 0.3 * np.cos(3 * x) + r.normal(0, 0.2, 40)
    xnew = np.linspace(-1, 11, 25)
    return x, y, xnew


def data_3d():
    r = np.random.RandomState(23)
    x = r.normal(0, 1, (60, 3))
    y = (np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] ** 2 - 0.3 * x[:, 2]
         + r.normal(0, 0.1, 60))
    xnew = r.normal(0, 1.2, (20, 3))
    return x, y, xnew


def data_mcycle():
    d = np.loadtxt(MCYCLE, delimiter=",", skiprows=1)
    return d[:, 0], d[:, 1], np.linspace(0, 60, 31)


def column(x):
    return x.reshape(-1, 1) if x.ndim == 1 else x


def fixed_case(name, data, kernel, ppl, alpha=1e-10, normalize_y=False):
    x, y, xnew = data
    gp = GaussianProcessRegressor(kernel=kernel, alpha=alpha, optimizer=None,
                                  normalize_y=normalize_y)
    gp.fit(column(x), y)
    mean, sd = gp.predict(column(xnew), return_std=True)
    K = gp.kernel_(column(x)[:8], column(xnew)[:5])
    return name, {
        "sklearn": repr(kernel), "ppl": ppl,
        "alpha": alpha.tolist() if isinstance(alpha, np.ndarray) else alpha,
        "normalize_y": normalize_y,
        "x": x.tolist(), "y": y.tolist(), "xnew": xnew.tolist(),
        "mean": mean.tolist(), "sd": sd.tolist(),
        "lml": float(gp.log_marginal_likelihood_value_),
        "K": K.tolist(),
    }


def optimized_case(name, data, kernel, ppl, alpha=1e-10, normalize_y=False):
    x, y, _ = data
    gp = GaussianProcessRegressor(kernel=kernel, alpha=alpha,
                                  normalize_y=normalize_y,
                                  n_restarts_optimizer=3, random_state=0)
    gp.fit(column(x), y)
    return name, {
        "sklearn": repr(kernel), "ppl": ppl, "alpha": alpha,
        "normalize_y": normalize_y, "x": x.tolist(), "y": y.tolist(),
        "lml": float(gp.log_marginal_likelihood_value_),
        "fitted": repr(gp.kernel_),
    }


def main():
    d1, d3, mc = data_1d(), data_3d(), data_mcycle()
    r = np.random.RandomState(5)
    hetero = r.uniform(0.01, 0.2, 60)
    fixed = dict([
        fixed_case("expquad", d1, RBF(1.3), "ExpQuad(ls=1.3)", alpha=0.01),
        fixed_case("scaled_white", d1, C(2.0) * RBF(0.8) + WhiteKernel(0.05),
                   "2.0 * ExpQuad(ls=0.8) + White(sigma=sqrt(0.05))"),
        fixed_case("matern12", d1, Matern(1.1, nu=0.5), "Matern12(ls=1.1)",
                   alpha=0.02),
        fixed_case("matern32_ard", d3,
                   C(1.5) * Matern([0.7, 1.4, 2.2], nu=1.5) + WhiteKernel(0.1),
                   "1.5 * Matern32(ls=[0.7, 1.4, 2.2]) + White(sigma=sqrt(0.1))"),
        fixed_case("matern52_norm", d1, Matern(2.0, nu=2.5),
                   "Matern52(ls=2.0)", alpha=0.01, normalize_y=True),
        fixed_case("ratquad", d1, RationalQuadratic(1.2, alpha=0.7)
                   + WhiteKernel(0.02),
                   "RationalQuadratic(alpha=0.7, ls=1.2) + White(sigma=sqrt(0.02))"),
        fixed_case("periodic", d1, ExpSineSquared(2 * 0.9, 6.0) * RBF(5.0)
                   + WhiteKernel(0.05),
                   "Periodic(period=6.0, ls=0.9) * ExpQuad(ls=5.0) + White(sigma=sqrt(0.05))"),
        fixed_case("linear", d3, DotProduct(0.5) + WhiteKernel(0.1),
                   "Constant(0.25) + Linear(c=0) + White(sigma=sqrt(0.1))"),
        fixed_case("polynomial", d3, DotProduct(1.2) ** 3 + WhiteKernel(0.2),
                   "Polynomial(c=0, d=3, offset=1.44) + White(sigma=sqrt(0.2))"),
        fixed_case("ard_hetero_norm", d3, C(0.8) * RBF([1.0, 0.6, 3.0]),
                   "0.8 * ExpQuad(ls=[1.0, 0.6, 3.0])", alpha=hetero,
                   normalize_y=True),
        fixed_case("sum_product", d1, (RBF(2.0) + Matern(0.5, nu=1.5))
                   * C(1.3) + WhiteKernel(0.03),
                   "(ExpQuad(ls=2.0) + Matern32(ls=0.5)) * 1.3 + White(sigma=sqrt(0.03))"),
        fixed_case("mcycle", mc, C(1.0) * RBF(3.0) + WhiteKernel(0.3),
                   "1.0 * ExpQuad(ls=3.0) + White(sigma=sqrt(0.3))",
                   normalize_y=True),
    ])
    optimized = dict([
        optimized_case("d1", d1, C(1.0) * RBF(1.0) + WhiteKernel(1.0),
                       "1.0 * ExpQuad(ls=1.0) + White(sigma=1.0)"),
        optimized_case("d3_ard", d3, C(1.0) * Matern([1.0, 1.0, 1.0], nu=2.5)
                       + WhiteKernel(1.0),
                       "1.0 * Matern52(ls=[1.0, 1.0, 1.0]) + White(sigma=1.0)"),
        optimized_case("mcycle", mc, C(1.0) * RBF(1.0) + WhiteKernel(1.0),
                       "1.0 * ExpQuad(ls=1.0) + White(sigma=1.0)",
                       normalize_y=True),
        optimized_case("periodic", d1, C(1.0) * ExpSineSquared(2.0, 6.0)
                       + WhiteKernel(1.0),
                       "1.0 * Periodic(period=6.0, ls=1.0) + White(sigma=1.0)"),
    ])
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "tests/tools/gp_reference.py",
            "sklearn": sklearn.__version__, "numpy": np.__version__}
    for fname, cases in (("fixed.json", fixed), ("optimized.json", optimized)):
        with open(os.path.join(OUT, fname), "w") as f:
            json.dump({"meta": meta, "cases": cases}, f, indent=1)
            f.write("\n")
        print(f"wrote {os.path.join(OUT, fname)}: {len(cases)} cases",
              file=sys.stderr)


if __name__ == "__main__":
    main()
