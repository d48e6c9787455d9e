#!/usr/bin/python3
"""gp_data.py — the data of the GP benchmark, written once so that ppl and
scikit-learn fit the same numbers.

    gp_data.py DIR N D     writes DIR/train_N_D.csv (columns x0.., y) and
                           DIR/test_N_D.csv (columns x0..): N training
                           points and 1000 new points in D dimensions.

x is uniform on [0, 10]^D; y = sum_t sin(x_t * (t + 1) / 2) + Normal(0, 0.3).
Seeded by N and D.
"""
import sys

import numpy as np

NEW = 1000


def main():
    out, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = np.random.RandomState(1000 * n + d)
    x = r.uniform(0, 10, (n, d))
    f = sum(np.sin(x[:, t] * (t + 1) / 2) for t in range(d))
    y = f + r.normal(0, 0.3, n)
    xnew = r.uniform(0, 10, (NEW, d))
    head = ",".join(f"x{t}" for t in range(d))
    np.savetxt(f"{out}/train_{n}_{d}.csv", np.column_stack([x, y]),
               delimiter=",", header=head + ",y", comments="", fmt="%.17g")
    np.savetxt(f"{out}/test_{n}_{d}.csv", xnew, delimiter=",", header=head,
               comments="", fmt="%.17g")


if __name__ == "__main__":
    main()
