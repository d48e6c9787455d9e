# bench/mcmc/run_r.R — samples one benchmark model with Stan (rstan) or
# JAGS (rjags) and records its draws and times.
#
#   usage: Rscript run_r.R stan|stan-glm|jags MODEL DATADIR OUTDIR SEED [REPEATS]
#
# Reads DATADIR/MODEL.json (written by gen_data.R), runs 4 chains of 1000
# warm-up + 1000 kept iterations, two chains at a time, writes the kept
# draws of the model's parameters to OUTDIR/<system>_MODEL.csv (a chain__
# column, then one column per scalar, vector elements named CmdStan's way:
# theta.1, theta.2, ...) and appends one line to OUTDIR/timings.tsv:
#   system  model  setup_s  sample_s  divergences  extra
# With REPEATS > 1 the sampling is repeated with the same seed (the same
# draws) and the median time is recorded; Stan compiles once.
#
# Stan: setup_s is the compile time of stan_model() (C++ translation and
# compilation, measured around the call); sample_s comes from rstan's own
# per-chain elapsed times (get_elapsed_time: warm-up + sampling), not R's
# wall time: with 4 chains on 2 cores (cores = 2) the chains run two at a
# time, each next chain starting on the first core that is free, so the
# time is the makespan of that schedule over the per-chain times — the
# same rule ppl's threads follow (a worker takes the next chain when it
# finishes one). The per-chain sum is recorded too (chain_sum_s).
# stan-glm is the same with stan/MODEL_glm.stan (the regressions written
# with Stan's normal_id_glm / bernoulli_logit_glm).
#
# JAGS: one JAGS process runs its chains one after another, so two forked
# R workers each run a JAGS model with 2 chains (seeds differ per chain),
# which is 2 chains at a time as for the others. setup_s is the compile
# (jags.model with no adaptation) of the slower worker; sample_s is the
# slower worker's adaptation (1000 iterations, the warm-up) plus its 1000
# kept iterations. The glm module is loaded, as JAGS users do for
# regressions (it samples the coefficient blocks jointly).

args <- commandArgs(trailingOnly = TRUE)
if (!(length(args) %in% 5:6)) {
  stop("usage: Rscript run_r.R stan|stan-glm|jags MODEL DATADIR OUTDIR SEED [REPEATS]")
}
system_name <- args[1]
model <- args[2]
datadir <- args[3]
outdir <- args[4]
seed <- as.integer(args[5])
repeats <- if (length(args) == 6) as.integer(args[6]) else 1L
here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
})

suppressPackageStartupMessages(library(jsonlite))
data <- fromJSON(file.path(datadir, paste0(model, ".json")),
                 simplifyVector = TRUE, simplifyMatrix = TRUE)

# The parameters each model declares (the quantities whose ESS is taken).
params <- list(
  normal = c("mu", "sigma"),
  eight_schools = c("mu", "tau", "theta_tilde"),
  linreg = c("alpha", "beta", "sigma"),
  logistic = c("alpha", "beta"),
  varying_intercepts = c("mu_a", "sigma_a", "a", "b", "sigma_y")
)[[model]]
if (is.null(params)) stop("unknown model '", model, "'")

# Greedy schedule of jobs (in order) on `workers` workers: when each ends.
makespan <- function(times, workers) {
  free <- numeric(workers)
  for (t in times) {
    w <- which.min(free)
    free[w] <- free[w] + t
  }
  max(free)
}

# Kept draws (iterations x chains x columns array) to the common CSV;
# leapfrog, if given, is a list of per-chain n_leapfrog vectors (Stan).
write_draws <- function(arr, file, leapfrog = NULL) {
  nm <- dimnames(arr)[[3]]
  nm <- gsub("\\]", "", gsub("\\[", ".", gsub(",", ".", nm)))
  rows <- do.call(rbind, lapply(seq_len(dim(arr)[2]), function(c) {
    m <- matrix(arr[, c, ], ncol = length(nm))
    if (is.null(leapfrog)) cbind(c, m) else cbind(c, leapfrog[[c]], m)
  }))
  colnames(rows) <- c("chain__", if (!is.null(leapfrog)) "n_leapfrog__", nm)
  write.csv(rows, file, row.names = FALSE)
}

record <- function(setup, sample, divergences, extra = "") {
  line <- sprintf("%s\t%s\t%.6f\t%.6f\t%d\t%s", system_name, model, setup,
                  sample, as.integer(divergences), extra)
  cat(line, "\n", file = file.path(outdir, "timings.tsv"), append = TRUE,
      sep = "")
  cat(sprintf("%s %s setup_s=%.3f sample_s=%.3f divergences=%d %s\n",
              system_name, model, setup, sample, as.integer(divergences),
              extra))
}

out_csv <- file.path(outdir, paste0(system_name, "_", model, ".csv"))

if (system_name %in% c("stan", "stan-glm")) {
  stan_file <- paste0(model, if (system_name == "stan-glm") "_glm", ".stan")
  suppressPackageStartupMessages(library(rstan))
  # Debian's r-cran-bh ships no headers: rstan's default boost_lib (the BH
  # package's include directory) is empty, so point it at Debian's Boost.
  rstan_options(boost_lib = "/usr/include")
  rstan_options(auto_write = FALSE)   # compile afresh: its time is measured
  t_compile <- system.time(
    sm <- stan_model(file.path(here, "stan", stan_file), model_name = model)
  )[["elapsed"]]
  spans <- sums <- numeric(repeats)
  for (r in seq_len(repeats)) {        # same seed each time: same draws
    fit <- sampling(sm, data = data, chains = 4, cores = 2, iter = 2000,
                    warmup = 1000, seed = seed, refresh = 0,
                    show_messages = FALSE)
    per_chain <- rowSums(get_elapsed_time(fit))  # warm-up + sampling
    spans[r] <- makespan(per_chain, 2)
    sums[r] <- sum(per_chain)
  }
  div <- sum(get_divergent_iterations(fit))
  leapfrog <- lapply(get_sampler_params(fit, inc_warmup = FALSE),
                     function(sp) sp[, "n_leapfrog__"])
  write_draws(as.array(fit, pars = params), out_csv, leapfrog)
  record(t_compile, median(spans), div,
         sprintf("chain_sum_s=%.3f times=%s", median(sums),
                 paste(sprintf("%.3f", spans), collapse = ",")))
} else if (system_name == "jags") {
  suppressPackageStartupMessages(library(rjags))
  load.module("glm", quiet = TRUE)
  jdata <- data[intersect(names(data), c("N", "J", "K", "X", "y", "g", "x",
                                         "sigma"))]
  file <- file.path(here, "jags", paste0(model, ".jags"))
  worker <- function(w) {
    inits <- lapply(1:2, function(i)
      list(.RNG.name = "base::Mersenne-Twister",
           .RNG.seed = seed * 10L + (w - 1L) * 2L + i))
    t0 <- proc.time()[["elapsed"]]
    jm <- jags.model(file, data = jdata, inits = inits, n.chains = 2,
                     n.adapt = 0, quiet = TRUE)
    t1 <- proc.time()[["elapsed"]]
    adapt(jm, n.iter = 1000, end.adaptation = TRUE, progress.bar = "none")
    s <- coda.samples(jm, params, n.iter = 1000, progress.bar = "none")
    t2 <- proc.time()[["elapsed"]]
    list(setup = t1 - t0, sample = t2 - t1, draws = s)
  }
  setups <- samples <- sums <- numeric(repeats)
  for (r in seq_len(repeats)) {        # same seeds each time: same draws
    res <- parallel::mclapply(1:2, worker, mc.cores = 2, mc.set.seed = FALSE)
    bad <- vapply(res, function(x) inherits(x, "try-error"), TRUE)
    if (any(bad)) stop(as.character(res[[which(bad)[1]]]))
    setups[r] <- max(vapply(res, `[[`, 0, "setup"))
    samples[r] <- max(vapply(res, `[[`, 0, "sample"))
    sums[r] <- sum(vapply(res, `[[`, 0, "sample"))
  }
  chains <- do.call(c, lapply(res, function(r) as.list(r$draws)))
  arr <- simplify2array(lapply(chains, as.matrix))   # iter x cols x chains
  arr <- aperm(arr, c(1, 3, 2))
  dimnames(arr)[[3]] <- colnames(as.matrix(chains[[1]]))
  write_draws(arr, out_csv)
  record(median(setups), median(samples), 0,
         sprintf("chain_sum_s=%.3f times=%s", median(sums),
                 paste(sprintf("%.3f", samples), collapse = ",")))
} else {
  stop("unknown system '", system_name, "' (stan, stan-glm or jags)")
}
