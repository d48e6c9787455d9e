#!/usr/bin/env Rscript
# diag_reference.R — reference values for ppl's convergence diagnostics.
#
# Writes fixed sets of MCMC-like draws and what R's posterior package
# (Vehtari et al. 2021) computes for them into tests/data/diag/, so the C
# tests (tests/unit/test_diag.c) and the golden tests (tests/trace/) can
# check ppl's diag.c and summary() without R:
#
#   <set>.csv        one column per chain (c1, c2, ...), one row per draw
#   <set>.ref.csv    one row: posterior's rhat, ess_bulk, ess_tail,
#                    ess_mean, mcse_mean, mcse_sd; quantile() type 7 at
#                    0.05, 0.5, 0.95; the 94% HDI as ArviZ computes it
#   fit_<c>.csv      a CmdStan-layout run (4 chains) for the summary tests,
#                    fit_summary.csv its summary as posterior computes it
#   stuck_<c>.csv    a run whose chains disagree (2 chains, saved warm-up)
#
# Draws are rounded to 6 decimals before anything is computed, so the CSV
# text holds them exactly. Run from the repository root:
#   Rscript tests/tools/diag_reference.R
# (Debian: apt-get install r-cran-posterior.) Tested with posterior 1.4.0.

suppressPackageStartupMessages(library(posterior))

out <- "tests/data/diag"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

ar1 <- function(n, m, rho, innov = function(k) rnorm(k)) {
  x <- matrix(0, n, m)
  for (c in 1:m) {
    e <- innov(n)
    x[1, c] <- e[1]
    for (i in 2:n) x[i, c] <- rho * x[i - 1, c] + sqrt(1 - rho^2) * e[i]
  }
  round(x, 6)
}

# ArviZ's _hdi: the first of the narrowest intervals holding floor(prob n)
# + 1 sorted draws.
hdi_arviz <- function(x, prob) {
  s <- sort(as.vector(x))
  n <- length(s)
  k <- floor(prob * n)
  w <- s[(k + 1):n] - s[1:(n - k)]
  i <- which.min(w)
  c(s[i], s[i + k])
}

num <- function(v) ifelse(is.na(v), "NA", sprintf("%.17g", v))

write_draws <- function(name, x) {
  colnames(x) <- paste0("c", seq_len(ncol(x)))
  write.csv(x, file.path(out, paste0(name, ".csv")), row.names = FALSE)
  # posterior warns when the ESS is capped; the values are what we want
  suppressWarnings({
    r <- c(rhat = rhat(x), ess_bulk = ess_bulk(x), ess_tail = ess_tail(x),
           ess_mean = ess_mean(x), mcse_mean = mcse_mean(x),
           mcse_sd = mcse_sd(x))
  })
  q <- quantile(as.vector(x), c(0.05, 0.5, 0.95), type = 7, names = FALSE)
  h <- hdi_arviz(x, 0.94)
  vals <- c(r, q05 = q[1], q50 = q[2], q95 = q[3], hdi_lo = h[1],
            hdi_hi = h[2])
  writeLines(c(paste(names(vals), collapse = ","),
               paste(num(vals), collapse = ",")),
             file.path(out, paste0(name, ".ref.csv")))
}

set.seed(20240611)
write_draws("ar03", ar1(1000, 4, 0.3))
write_draws("ar095", ar1(1000, 4, 0.95))
write_draws("arneg", ar1(500, 4, -0.5))
shifted <- ar1(500, 4, 0.2)
shifted[, 4] <- shifted[, 4] + 1.5
write_draws("shifted", shifted)
scale <- ar1(500, 4, 0.2)
scale[, 2] <- round(3 * scale[, 2], 6)
write_draws("scale", scale)
write_draws("heavy", ar1(1000, 4, 0.5, function(k) rt(k, df = 1.5)))
write_draws("poisson", matrix(as.numeric(rpois(1200, 2)), 300, 4))
write_draws("onechain", ar1(200, 1, 0.6))
write_draws("odd", ar1(101, 3, 0.4))
write_draws("short4", ar1(4, 2, 0.1))
write_draws("short5", ar1(5, 2, 0.1))
write_draws("short6", ar1(6, 2, 0.1))
write_draws("short7", ar1(7, 3, 0.1))
write_draws("short10", ar1(10, 2, 0.1))
write_draws("big", ar1(5000, 4, 0.9))
write_draws("constant", matrix(1.5, 50, 2))

# ---- CmdStan-layout runs -------------------------------------------------

cmdstan_header <- function(prefix, chain, nchains, draws, warmup,
                           save_warmup, max_depth) {
  c("# stan_version_major = 2",
    "# stan_version_minor = 33",
    "# stan_version_patch = 1",
    "# model = fixture_model",
    "# method = sample (Default)",
    "#   sample",
    sprintf("#     num_samples = %d", draws),
    sprintf("#     num_warmup = %d", warmup),
    sprintf("#     save_warmup = %d", save_warmup),
    "#     thin = 1 (Default)",
    "#     adapt",
    "#       engaged = 1 (Default)",
    "#       delta = 0.80000000000000004 (Default)",
    "#     algorithm = hmc (Default)",
    "#       hmc",
    "#         engine = nuts (Default)",
    "#           nuts",
    sprintf("#             max_depth = %d", max_depth),
    "#         metric = diag_e (Default)",
    sprintf("#     num_chains = %d", nchains),
    sprintf("# id = %d", chain),
    "# random",
    sprintf("#   seed = %d", 4711 + chain),
    "# output",
    sprintf("#   file = %s_%d.csv", prefix, chain))
}

stat_cols <- c("lp__", "accept_stat__", "stepsize__", "treedepth__",
               "n_leapfrog__", "divergent__", "energy__")

# One chain's stats: tree depths in 1..max_depth, a few divergences.
chain_stats <- function(n, max_depth, p_div) {
  depth <- sample(1:max_depth, n, replace = TRUE, prob = c(0.2, 0.5, 0.3))
  lp <- round(-5 + rnorm(n), 6)
  cbind(lp, round(runif(n, 0.5, 1), 6), 0.734, depth, 2^depth - 1,
        as.numeric(runif(n) < p_div), round(-lp + rexp(n), 6))
}

fmt <- function(v) sub("\\.?0+$", "", sprintf("%.6f", v))

write_run <- function(prefix, vals, names, stats, warmup, save_warmup) {
  nchains <- length(vals)
  for (c in 1:nchains) {
    draws <- nrow(vals[[c]]) - (if (save_warmup) warmup else 0)
    rows <- cbind(stats[[c]], vals[[c]])
    lines <- c(cmdstan_header(prefix, c, nchains, draws, warmup,
                              save_warmup, 3),
               paste(c(stat_cols, names), collapse = ","),
               "# Adaptation terminated",
               "# Step size = 0.734",
               "# Diagonal elements of inverse mass matrix:",
               "# 1.1, 0.9, 1, 1, 1, 1, 1, 1, 1")
    body <- apply(rows, 1, function(r) paste(fmt(r), collapse = ","))
    if (save_warmup) {
      lines <- c(lines[1:(length(lines) - 4)], body[1:warmup],
                 lines[(length(lines) - 3):length(lines)],
                 body[-(1:warmup)])
    } else {
      lines <- c(lines, body)
    }
    lines <- c(lines, "# ",
               "#  Elapsed Time: 0.012 seconds (Warm-up)",
               "#                0.021 seconds (Sampling)",
               "#                0.033 seconds (Total)", "# ")
    writeLines(lines, file.path(out, sprintf("%s_%d.csv", prefix, c)))
  }
}

# fit: mu, tau, theta[3], L 2x2 (column-major in the file, as CmdStan).
file_names <- c("mu", "tau", "theta.1", "theta.2", "theta.3",
                "L.1.1", "L.2.1", "L.1.2", "L.2.2")
ppl_order <- c("mu", "tau", "theta.1", "theta.2", "theta.3",
               "L.1.1", "L.1.2", "L.2.1", "L.2.2")
n <- 200
fit_vals <- lapply(1:4, function(c) {
  z <- ar1(n, 9, 0.1)
  v <- cbind(4.4 + 3.3 * z[, 1], round(exp(0.8 + 0.6 * z[, 2]), 6),
             z[, 3:5] * 2 + 4, 1 + 0.1 * z[, 6], 0.5 * z[, 7],
             0.3 + 0.2 * z[, 8], 0.9 + 0.05 * z[, 9])
  round(v, 6)
})
fit_stats <- lapply(1:4, function(c) chain_stats(n, 3, 0.01))
write_run("fit", fit_vals, file_names, fit_stats, 1000, 0)

# posterior's summary of fit, rows in ppl's order (L row-major).
all <- do.call(rbind, lapply(1:4, function(c) {
  d <- as.data.frame(fit_vals[[c]])
  names(d) <- file_names
  d
}))
arr <- array(NA, c(n, 4, length(ppl_order)))
for (c in 1:4) {
  d <- fit_vals[[c]]
  colnames(d) <- file_names
  arr[, c, ] <- d[, ppl_order]
}
summ <- t(sapply(seq_along(ppl_order), function(k) {
  x <- arr[, , k]
  h <- hdi_arviz(x, 0.94)
  suppressWarnings(c(mean(x), sd(x), h[1], h[2], mcse_mean(x), mcse_sd(x),
                     ess_bulk(x), ess_tail(x), rhat(x)))
}))
colnames(summ) <- c("mean", "sd", "hdi_lo", "hdi_hi", "mcse_mean",
                    "mcse_sd", "ess_bulk", "ess_tail", "r_hat")
writeLines(c(paste(colnames(summ), collapse = ","),
             apply(summ, 1, function(r) paste(num(r), collapse = ","))),
           file.path(out, "fit_summary.csv"))
# what ArviZ's default rounding shows, for writing the golden expectations
print(cbind(round(summ[, 1:6], 3), round(summ[, 7:8]), round(summ[, 9], 2)))

# stuck: 2 chains of 60 draws that disagree, warm-up saved (20 rows).
warm <- 20
stuck_vals <- lapply(1:2, function(c) {
  z <- ar1(warm + 60, 2, 0.9)
  v <- cbind(z[, 1] + (c - 1) * 2.5, exp(z[, 2]))
  v[1:warm, ] <- v[1:warm, ] + 10 # warm-up rows must not be read
  round(v, 6)
})
stuck_stats <- lapply(1:2, function(c) chain_stats(warm + 60, 3, 0.05))
write_run("stuck", stuck_vals, c("a", "b"), stuck_stats, warm, 1)
